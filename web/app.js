// ackreg signing desk: the page's script. No framework, no build step.
//
// The employee's key is an Ed25519 WebCrypto key made in this browser,
// not extractable, kept in IndexedDB. The acknowledgement it signs is the
// same DSSE envelope `ackreg sign` writes: compact JSON payload with the
// fields in the order type, document{title,sha256}, employee{name,id},
// date, statement, notes?, signed over the DSSE pre-authentication encoding.
'use strict';

const ACK_TYPE = 'https://ackreg.invalid/acknowledgement/v1';
const PAYLOAD_TYPE = 'application/vnd.ackreg.acknowledgement+json';
const STATEMENT = 'Esmu iepazinies(-usies) ar noteikumiem un apņemos tos ievērot.';
const SIGNIN_TYPE = 'application/vnd.ackreg.desk-signin';
const ENROL_TYPE = 'application/vnd.ackreg.desk-enrol';

const T = {
  lv: {
    skip: 'Pāriet uz saturu',
    app: 'Iepazīšanās ar noteikumiem',
    other_lang: 'English',
    signout: 'Iziet',
    loading: 'Ielādē…',
    footer: 'Apliecinājumi tiek parakstīti elektroniski un glabāti pārbaudāmā reģistrā.',
    nokey_h: 'Šajā pārlūkā nav jūsu parakstīšanas atslēgas',
    nokey_p: 'Lai parakstītu, atveriet reģistrācijas saiti, ko jums izsniedza administrācija. Atslēga tiek izveidota un glabāta tikai šajā pārlūkā.',
    choose_h: 'Kas jūs esat?',
    choose_p: 'Šajā pārlūkā ir vairāku darbinieku atslēgas. Izvēlieties savu vārdu un ievadiet savu PIN.',
    pin_h: 'Ievadiet savu PIN',
    pin_for: 'Parakstīšanas atslēga: {name} ({id})',
    pin_p: 'PIN zināt tikai jūs. Bez tā neviens nevar parakstīt jūsu vārdā, arī šajā datorā.',
    f_pin: 'PIN',
    f_pin_hint: '4 līdz 8 cipari.',
    f_pin_again: 'PIN vēlreiz',
    signin_button: 'Pieteikties',
    signing_in: 'Piesakās…',
    not_me: 'Tas neesmu es',
    setpin_h: 'Izveidojiet savu PIN',
    setpin_p: 'Jūs reģistrējāties, pirms sistēma sāka prasīt PIN. Izvēlieties PIN (4 līdz 8 cipari): turpmāk to prasīs katru reizi, kad piesakāties. Nestāstiet to nevienam.',
    setpin_button: 'Saglabāt PIN un pieteikties',
    pin_short: 'PIN jābūt no 4 līdz 8 cipariem.',
    pin_mismatch: 'Abi ievadītie PIN nesakrīt.',
    signed_out: 'Jūs izgājāt. Lai parakstītu vēlreiz, izvēlieties savu vārdu un ievadiet PIN.',
    desk_h: 'Mani noteikumi',
    signed_in_as: 'Sesija: {name} ({id})',
    nothing: 'Jums pašlaik nav neviena dokumenta, ar ko jāiepazīstas.',
    version: 'Versija {label}',
    effective: 'Spēkā no',
    deadline: 'Termiņš',
    signed_on: 'Parakstīts',
    entry: 'ieraksts Nr. {n}',
    read_doc: 'Izlasiet dokumentu pirms parakstīšanas.',
    open_pdf: 'Atvērt dokumentu jaunā cilnē',
    doc_frame: 'Dokuments: {title}',
    statement_en: '',
    notes: 'Piezīmes (nav obligāti)',
    sign: 'Parakstīt',
    signing: 'Paraksta…',
    tick_first: 'Vispirms atzīmējiet, ka esat iepazinies(-usies) ar noteikumiem.',
    signed_ok: 'Paldies! Jūsu apliecinājums ir reģistrēts kā ieraksts Nr. {n}.',
    signed_again: 'Šis apliecinājums jau iepriekš bija reģistrēts kā ieraksts Nr. {n}; otrreiz tas netika ierakstīts. Kvīts ir tā pati.',
    coming_tag: 'stājas spēkā {date}',
    coming_p: 'Šī versija stājas spēkā {date} To jau var izlasīt, bet parakstīt varēs tikai no šīs dienas. Līdz tam parakstiet spēkā esošo versiju.',
    superseded_tag: 'vairs nav spēkā',
    in_force_tag: 'spēkā',
    leaving_note: 'Plānotā aiziešana no darba: {date} Līdz tam varat parakstīt kā parasti.',
    receipt_help: 'Kvīts pierāda, ka jūsu apliecinājums ir reģistrā uz visiem laikiem. Saglabājiet to.',
    save_receipt: 'Saglabāt kvīti',
    receipt_again: 'Lejupielādēt kvīti',
    show_receipt: 'Rādīt kvīts tekstu',
    enrol_h: 'Reģistrācija parakstīšanai',
    enrol_for: 'Reģistrācijas saite: {name} ({id})',
    enrol_p: 'Nospiežot pogu, šis pārlūks izveidos jūsu personīgo parakstīšanas atslēgu. Tā nekad neatstāj šo datoru. Izmantojiet pārlūku, kurā parakstīsiet arī turpmāk.',
    enrol_pin_p: 'Izvēlieties PIN (4 līdz 8 cipari). Sistēma to prasīs katru reizi, kad piesakāties, lai neviens cits, kas lieto šo datoru, nevarētu parakstīt jūsu vārdā. Nestāstiet to nevienam.',
    enrol_replace: 'Jūsu iepriekšējā atslēga tiks aizstāta ar jauno.',
    enrol_button: 'Izveidot atslēgu un reģistrēties',
    enrol_working: 'Veido atslēgu…',
    enrol_ok: 'Reģistrācija pabeigta. Tagad varat iepazīties ar noteikumiem un tos parakstīt.',
    go_desk: 'Turpināt',
    no_link: 'Saite nav derīga: tā jau izmantota, tai beidzies termiņš vai tā nekad nav pastāvējusi. Lūdziet administrācijai jaunu saiti.',
    used_h: 'Šī reģistrācijas saite jau ir izmantota',
    used_p: 'Ar šo saiti jau ir izveidota parakstīšanas atslēga. Ja to izdarījāt jūs, jaunu saiti nevajag: atveriet parakstīšanas lapu tajā pārlūkā, kurā reģistrējāties, un piesakieties ar savu PIN.',
    used_here: 'Šajā pārlūkā ir parakstīšanas atslēga. Atveriet parakstīšanas lapu un piesakieties ar savu PIN.',
    used_new: 'Jaunu saiti lūdziet tikai tad, ja šis pārlūks vai dators vairs nav pieejams, vai ja reģistrējāties nevis jūs: jauna saite aizstās jūsu atslēgu.',
    go_sign: 'Atvērt parakstīšanas lapu',
    admin_used: 'Šī administratora pieteikšanās saite jau ir izmantota. Jaunu saiti var izveidot datorā, kurā darbojas reģistrs, ar komandu „ackreg serve --log MAPE --admin-link”. Ja saiti neizmantojāt jūs, ar to ir pieteicies kāds cits: lai slēgtu arī viņa sesiju, „ackreg serve” jāaptur un jāpalaiž no jauna.',
    admin_bad_link: 'Šī administratora pieteikšanās saite nav derīga: tā jau izmantota, tai beidzies termiņš vai tā nav šī reģistra saite. Jaunu saiti var izveidot datorā, kurā darbojas reģistrs, ar komandu „ackreg serve --log MAPE --admin-link”.',
    nf_h: 'Lapa nav atrasta',
    nf_p: 'Šādas lapas šeit nav. Pārbaudiet adresi vai atveriet sākumlapu.',
    nf_home: 'Uz sākumlapu',
    no_webcrypto: 'Šis pārlūks neprot izveidot Ed25519 atslēgu. Izmantojiet jaunāku pārlūku.',
    admin_h: 'Reģistra pārvaldība',
    admin_none: 'Administratora sesija nav atvērta. Izmantojiet vienreizējo pieteikšanās saiti, ko izdrukāja „ackreg serve”, vai izveidojiet jaunu datorā, kurā darbojas reģistrs, ar komandu „ackreg serve --log MAPE --admin-link”.',
    phase: 'Stāvoklis',
    admin_log: 'Žurnāls {origin}. Ierakstu skaits: {size}. Šodien: {today}',
    versions_h: 'Noteikumu versijas',
    no_versions: 'Žurnālā vēl nav publicētas noteikumu versijas.',
    v_caption: 'Versija {label}: {title}',
    v_table: 'Iepazīšanās ar versiju {label}: {title}',
    col_employee: 'Darbinieks',
    col_status: 'Statuss',
    col_deadline: 'Termiņš',
    col_signed: 'Parakstīts',
    col_entry: 'Ieraksts',
    col_id: 'Identifikators',
    col_name: 'Vārds, uzvārds',
    col_position: 'Amats',
    col_enrolled: 'Reģistrēts',
    col_left: 'Aizgāja',
    col_leaving: 'Plānotā aiziešana',
    issue_h: 'Izsniegt reģistrācijas saiti',
    issue_p: 'Saite der vienai reizei un septiņām dienām. Nosūtiet to darbiniekam personīgi.',
    f_id: 'Identifikators',
    f_id_hint: 'Mazie latīņu burti, cipari, punkts, pasvītra vai defise, piemēram, jberzins.',
    f_name: 'Vārds, uzvārds',
    f_position: 'Amats (nav obligāti)',
    issue_button: 'Izsniegt saiti',
    issued: 'Saite: {name}. Lietojama vienu reizi, derīga līdz {moment}.',
    issued_replace: 'Šim identifikatoram jau ir atslēga: jaunā saite to aizstās.',
    link_label: 'Reģistrācijas saite',
    copy: 'Kopēt saiti',
    copied: 'Saite nokopēta.',
    leave_h: 'Reģistrēt darbinieka aiziešanu',
    f_employee: 'Darbinieks',
    f_date: 'Datums',
    f_date_hint: 'Pirmā diena, kad darbinieks vairs nestrādā, formā DD.MM.GGGG., piemēram, 31.12.2026. Tukšs: šodien. Vēlāks datums tiek ieplānots un ierakstīts žurnālā tajā dienā.',
    leave_button: 'Reģistrēt aiziešanu',
    left_ok: 'Aiziešana reģistrēta kā ieraksts Nr. {n}.',
    left_planned: 'Aiziešana ieplānota: pirmā diena, kad darbinieks vairs nestrādā, ir {date} Līdz tam darbinieks var parakstīt kā parasti; žurnālā aiziešana tiks ierakstīta tajā dienā.',
    nobody: 'Nav darbinieku.',
    employees_h: 'Darbinieki',
    downloads_h: 'Lejupielādes',
    dl_entries: 'Žurnāla ieraksti (entries.jsonl)',
    dl_checkpoint: 'Jaunākais parakstītais kontrolpunkts',
    dl_annex: 'Aizpildīts pielikums (PDF), versija {label}',
    counts: 'parakstīts: {a}; ar nokavējumu: {l}; vēl nav: {o}; nokavēts: {d}; vairs nestrādā: {g}',
    st_acknowledged: 'parakstīts',
    st_late: 'parakstīts ar nokavējumu',
    st_outstanding: 'vēl nav parakstīts',
    st_overdue: 'termiņš nokavēts',
    st_left: 'vairs nestrādā',
    owe_count: 'Jums jāiepazīstas ar dokumentiem: {n}.',
    changes_h: 'Kas mainījies kopš jūs parakstījāt versiju {label}',
    changes_loading: 'Ielādē izmaiņas…',
    changes_failed: 'Izmaiņas pašlaik nevar parādīt. Izlasiet visu dokumentu.',
    changes_none: 'Punktu tekstā izmaiņu nav.',
    changes_sum: 'Pievienoti: {a}; svītroti: {r}; grozīti: {c}; pārnumurēti: {n}.',
    changes_note: 'Izmaiņu saraksts palīdz lasīt, bet jūs parakstāt visu dokumentu.',
    ch_added: 'Pievienots',
    ch_removed: 'Svītrots',
    ch_changed: 'Grozīts',
    ch_renumbered: 'Pārnumurēts',
    ch_chapter: 'nodaļa',
    ins_start: '[pievienots: ',
    del_start: '[svītrots: ',
    mark_end: ']',
    past_h: 'Iepriekšējās versijas ({n})',
    documents_h: 'Dokumenti',
    doc_version: 'Pašreizējā versija: {label}',
    doc_summary: '{title}: parakstīts {a}, vēl nav {o}, nokavēts {d}',
    by_unit: '{title}: pa struktūrvienībām',
    col_unit: 'Struktūrvienība',
    col_ack: 'Parakstīts',
    col_late: 'Ar nokavējumu',
    col_out: 'Vēl nav',
    col_over: 'Nokavēts',
    col_gone: 'Vairs nestrādā',
    col_nokey: 'Vēl nav atslēgas',
    no_unit: 'bez struktūrvienības',
    no_key: 'vēl nav atslēgas',
    nokey_count: 'Vēl nav atslēgas: {n}.',
    moment: '{date} plkst. {time}',
    err_generic: 'Neizdevās (kļūdas kods: {code}).',
    err_detail: 'Servera ziņojums (angliski): {message}',
    err_network: 'Nav savienojuma ar serveri. Mēģiniet vēlreiz.',
    err_too_many: 'Pārāk daudz neveiksmīgu mēģinājumu. Pagaidiet minūti un mēģiniet vēlreiz.',
    err_signin: 'Šī atslēga vairs nav derīga. Lūdziet administrācijai jaunu reģistrācijas saiti.',
    err_pin: 'Nepareizs PIN. Atlikušie mēģinājumi: {n}.',
    err_pin_locked: 'PIN ir bloķēts pēc pārāk daudziem nepareiziem mēģinājumiem. Lūdziet administrācijai jaunu reģistrācijas saiti.',
    err_pin_form: 'PIN jābūt no 4 līdz 8 cipariem.',
    err_field_id: 'Identifikatorā drīkst būt tikai mazie latīņu burti (a–z), cipari, punkts, pasvītra un defise, ne vairāk kā 64 zīmes.',
    err_field_name: 'Vārdu nevar pieņemt: tas ir tukšs, pārāk garš vai satur neatļautas rakstzīmes.',
    err_field_position: 'Amatu nevar pieņemt: tas ir pārāk garš vai satur neatļautas rakstzīmes.',
    err_field_date: 'Datums nav derīgs.',
    err_field: 'Kāda no ievadītajām vērtībām nav derīga.',
    err_left: 'Šim identifikatoram ir reģistrēta aiziešana no darba: saiti izsniegt nevar.',
    err_refused: 'Reģistrs šo ierakstu nepieņēma, un nekas netika ierakstīts.',
    err_date: 'Apliecinājuma datums nav šodienas datums. Pārlādējiet lapu un parakstiet vēlreiz.',
    err_not_you: 'Jūs varat parakstīt tikai savā vārdā un ar savu atslēgu.',
    err_no_session: 'Sesija ir beigusies. Pārlādējiet lapu un piesakieties vēlreiz.',
    err_forbidden: 'Šai sesijai tas nav atļauts.',
    err_not_found: 'Nav atrasts.',
    err_unavailable: 'Reģistrā pašlaik nevar ierakstīt. Nekas netika ierakstīts; mēģiniet vēlāk vai sazinieties ar administrāciju.',
    err_link_used: 'Šī saite jau ir izmantota.',
    err_request: 'Pieprasījumu nevarēja apstrādāt. Pārlādējiet lapu un mēģiniet vēlreiz.',
    err_coming: 'Šī versija vēl nav stājusies spēkā, tāpēc to vēl nevar parakstīt. Pārlādējiet lapu un parakstiet spēkā esošo versiju.',
    err_superseded: 'Šī versija vairs nav spēkā: to ir aizstājusi jaunāka versija. Pārlādējiet lapu un parakstiet spēkā esošo versiju.',
  },
  en: {
    skip: 'Skip to content',
    app: 'Acknowledging the rules',
    other_lang: 'Latviski',
    signout: 'Sign out',
    loading: 'Loading…',
    footer: 'Acknowledgements are signed electronically and kept in a verifiable register.',
    nokey_h: 'This browser holds no signing key of yours',
    nokey_p: 'To sign, open the enrolment link the administration gave you. The key is made and kept in this browser only.',
    choose_h: 'Who are you?',
    choose_p: 'This browser holds keys of several employees. Choose your name and enter your PIN.',
    pin_h: 'Enter your PIN',
    pin_for: 'Signing key: {name} ({id})',
    pin_p: 'Only you know your PIN. Without it nobody can sign in your name, on this computer either.',
    f_pin: 'PIN',
    f_pin_hint: '4 to 8 digits.',
    f_pin_again: 'PIN again',
    signin_button: 'Sign in',
    signing_in: 'Signing in…',
    not_me: 'This is not me',
    setpin_h: 'Choose your PIN',
    setpin_p: 'You enrolled before the desk asked for a PIN. Choose a PIN (4 to 8 digits): from now on it is asked every time you sign in. Tell it to nobody.',
    setpin_button: 'Save the PIN and sign in',
    pin_short: 'A PIN has 4 to 8 digits.',
    pin_mismatch: 'The two PINs differ.',
    signed_out: 'You signed out. To sign again, choose your name and enter your PIN.',
    desk_h: 'My rules',
    signed_in_as: 'Session: {name} ({id})',
    nothing: 'There is nothing for you to acknowledge at the moment.',
    version: 'Version {label}',
    effective: 'In force from',
    deadline: 'Deadline',
    signed_on: 'Signed',
    entry: 'Entry {n}',
    read_doc: 'Read the document before you sign.',
    open_pdf: 'Open the document in a new tab',
    doc_frame: 'Document: {title}',
    statement_en: '(I have read the rules and undertake to follow them. You sign this statement in Latvian.)',
    notes: 'Notes (optional)',
    sign: 'Sign',
    signing: 'Signing…',
    tick_first: 'First tick the box saying you have read the rules.',
    signed_ok: 'Thank you! Your acknowledgement is recorded as entry {n}.',
    signed_again: 'This acknowledgement was already recorded as entry {n}; it was not written a second time. The receipt is the same.',
    coming_tag: 'takes effect on {date}',
    coming_p: 'This version takes effect on {date}. You can read it now, but sign it only from that day. Until then, sign the version in force.',
    superseded_tag: 'no longer in force',
    in_force_tag: 'in force',
    leaving_note: 'Planned departure: {date}. Until then you can sign as usual.',
    receipt_help: 'The receipt proves that your acknowledgement is in the register for good. Keep it.',
    save_receipt: 'Save the receipt',
    receipt_again: 'Download the receipt',
    show_receipt: 'Show the receipt\'s text',
    enrol_h: 'Enrolment for signing',
    enrol_for: 'Enrolment link: {name} ({id})',
    enrol_p: 'When you press the button, this browser makes your personal signing key. It never leaves this computer. Use the browser you will sign with from now on.',
    enrol_pin_p: 'Choose a PIN (4 to 8 digits). The desk asks for it every time you sign in, so that nobody else who uses this computer can sign in your name. Tell it to nobody.',
    enrol_replace: 'Your previous key will be replaced by the new one.',
    enrol_button: 'Make my key and enrol',
    enrol_working: 'Making the key…',
    enrol_ok: 'Enrolment complete. You can now read the rules and sign.',
    go_desk: 'Continue',
    no_link: 'This link is not valid: it was used already, has expired, or never existed. Ask the administration for a new one.',
    used_h: 'This enrolment link was used already',
    used_p: 'A signing key was made with this link already. If it was you, you need no new link: open the signing page in the browser you enrolled in and sign in with your PIN.',
    used_here: 'This browser holds a signing key. Open the signing page and sign in with your PIN.',
    used_new: 'Ask for a new link only if that browser or computer is gone, or if it was not you who enrolled: a new link replaces your key.',
    go_sign: 'Open the signing page',
    admin_used: 'This administrator sign-in link was used already. A new link is made on the computer the register runs on, with "ackreg serve --log DIR --admin-link". If it was not you who used it, someone else signed in with it: to end their session too, stop "ackreg serve" and start it again.',
    admin_bad_link: 'This administrator sign-in link is not valid: it was used already, has expired, or is not this register\'s. A new link is made on the computer the register runs on, with "ackreg serve --log DIR --admin-link".',
    nf_h: 'Page not found',
    nf_p: 'There is no such page here. Check the address or open the home page.',
    nf_home: 'To the home page',
    no_webcrypto: 'This browser cannot make an Ed25519 key. Use a newer browser.',
    admin_h: 'Register administration',
    admin_none: 'No administrator session. Use the one-time sign-in link printed by "ackreg serve", or make a new one on the computer the register runs on, with "ackreg serve --log DIR --admin-link".',
    phase: 'Phase',
    admin_log: 'Log {origin}: {size} entries. Today: {today}.',
    versions_h: 'Versions of the rules',
    no_versions: 'No version of the rules is published in the log yet.',
    v_caption: 'Version {label}: {title}',
    v_table: 'Who acknowledged version {label}: {title}',
    col_employee: 'Employee',
    col_status: 'Status',
    col_deadline: 'Deadline',
    col_signed: 'Signed',
    col_entry: 'Entry',
    col_id: 'Identifier',
    col_name: 'Full name',
    col_position: 'Position',
    col_enrolled: 'Enrolled',
    col_left: 'Left',
    col_leaving: 'Planned departure',
    issue_h: 'Issue an enrolment link',
    issue_p: 'A link works once, for seven days. Give it to the employee in person.',
    f_id: 'Identifier',
    f_id_hint: 'Lowercase letters, digits, dot, underscore or hyphen, e.g. jberzins.',
    f_name: 'Full name',
    f_position: 'Position (optional)',
    issue_button: 'Issue the link',
    issued: 'Link for {name}. Works once, until {moment}.',
    issued_replace: 'This identifier has a key already: the new link will replace it.',
    link_label: 'Enrolment link',
    copy: 'Copy the link',
    copied: 'Link copied.',
    leave_h: 'Record that an employee left',
    f_employee: 'Employee',
    f_date: 'Date',
    f_date_hint: 'The first day they no longer work here, as YYYY-MM-DD or DD.MM.YYYY, e.g. 2026-12-31. Empty: today. A later date is planned and written to the log on that day.',
    leave_button: 'Record the departure',
    left_ok: 'Departure recorded as entry {n}.',
    left_planned: 'Departure planned: the first day they no longer work here is {date}. Until then they can sign as usual; the departure is written to the log on that day.',
    nobody: 'No employees.',
    employees_h: 'Employees',
    downloads_h: 'Downloads',
    dl_entries: 'The log\'s entries (entries.jsonl)',
    dl_checkpoint: 'The newest signed checkpoint',
    dl_annex: 'Filled annex (PDF), version {label}',
    counts: 'acknowledged: {a}; late: {l}; outstanding: {o}; overdue: {d}; left: {g}',
    st_acknowledged: 'acknowledged',
    st_late: 'acknowledged late',
    st_outstanding: 'outstanding',
    st_overdue: 'overdue',
    st_left: 'left',
    owe_count: 'Documents for you to read: {n}.',
    changes_h: 'What changed since you signed version {label}',
    changes_loading: 'Loading the changes…',
    changes_failed: 'The changes cannot be shown now. Read the whole document.',
    changes_none: 'No clause\'s text changed.',
    changes_sum: 'Added: {a}; removed: {r}; changed: {c}; renumbered: {n}.',
    changes_note: 'The list of changes helps you read; what you sign is the whole document.',
    ch_added: 'Added',
    ch_removed: 'Removed',
    ch_changed: 'Changed',
    ch_renumbered: 'Renumbered',
    ch_chapter: 'chapter',
    ins_start: '[added: ',
    del_start: '[removed: ',
    mark_end: ']',
    past_h: 'Earlier versions ({n})',
    documents_h: 'Documents',
    doc_version: 'Current version: {label}',
    doc_summary: '{title}: acknowledged {a}, outstanding {o}, overdue {d}',
    by_unit: '{title}: by unit',
    col_unit: 'Unit',
    col_ack: 'Acknowledged',
    col_late: 'Late',
    col_out: 'Outstanding',
    col_over: 'Overdue',
    col_gone: 'Left',
    col_nokey: 'No key yet',
    no_unit: 'in no unit',
    no_key: 'no key yet',
    nokey_count: 'No key yet: {n}.',
    moment: '{date} at {time}',
    err_generic: 'That failed (error code: {code}).',
    err_detail: 'The server said: {message}',
    err_network: 'No connection to the server. Try again.',
    err_too_many: 'Too many failed attempts. Wait a minute and try again.',
    err_signin: 'This key is no longer valid. Ask the administration for a new enrolment link.',
    err_pin: 'Wrong PIN. Attempts left: {n}.',
    err_pin_locked: 'The PIN is locked after too many wrong attempts. Ask the administration for a new enrolment link.',
    err_pin_form: 'A PIN has 4 to 8 digits.',
    err_field_id: 'An identifier may use only lowercase letters (a–z), digits, dot, underscore and hyphen, at most 64 characters.',
    err_field_name: 'The name cannot be taken: it is empty, too long or has characters that are not allowed.',
    err_field_position: 'The position cannot be taken: it is too long or has characters that are not allowed.',
    err_field_date: 'The date is not valid.',
    err_field: 'One of the values entered is not valid.',
    err_left: 'This identifier is recorded as having left: no link can be issued for it.',
    err_refused: 'The register did not accept this entry, and nothing was written.',
    err_date: 'The acknowledgement is not dated today. Reload the page and sign again.',
    err_not_you: 'You can sign only in your own name, with your own key.',
    err_no_session: 'The session ended. Reload the page and sign in again.',
    err_forbidden: 'This session may not do that.',
    err_not_found: 'Not found.',
    err_unavailable: 'The register cannot be written now. Nothing was written; try again later or contact the administration.',
    err_link_used: 'This link was used already.',
    err_request: 'The request could not be handled. Reload the page and try again.',
    err_coming: 'This version is not in force yet, so it cannot be signed yet. Reload the page and sign the version in force.',
    err_superseded: 'This version is no longer in force: a newer version replaced it. Reload the page and sign the version in force.',
  },
};

let lang = (localStorage.getItem('ackreg-lang') === 'en') ? 'en' : 'lv';
let rerender = () => {};

function t(key, vars) {
  let s = (T[lang] && T[lang][key]) || T.lv[key] || key;
  for (const [k, v] of Object.entries(vars || {})) {
    s = s.split('{' + k + '}').join(String(v));
  }
  return s;
}

// ---- DOM helpers: text only, never HTML from data ----------------------

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') node.textContent = v;
    else if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) node.append(c);
  }
  return node;
}

function show(...nodes) {
  const view = document.getElementById('view');
  view.replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined));
}

function applyStatic() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll('[data-i18n]')) {
    node.textContent = t(node.dataset.i18n);
  }
  const button = document.getElementById('lang');
  button.textContent = t('other_lang');
  button.lang = lang === 'lv' ? 'en' : 'lv';
  document.title = t('app');
}

// ---- The server ---------------------------------------------------------

async function api(method, path, body) {
  const options = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (e) {
    return { ok: false, status: 0, data: { error: 'network' } };
  }
  let data = {};
  try { data = await response.json(); } catch (e) { data = {}; }
  return { ok: response.ok, status: response.status, data };
}

// The page's words for a refusal: the server's code, never its English
// message (which is shown only as a detail, for codes the page cannot
// explain by itself).
function errorWords(r, context) {
  const code = r.data.error;
  if (r.status === 0) return { text: t('err_network') };
  if (code === 'field') {
    const key = 'err_field_' + r.data.field;
    if (r.data.field === 'pin') return { text: t('err_pin_form') };
    if (T.lv[key]) return { text: t(key), field: r.data.field };
    return { text: t('err_field'), detail: r.data.message ? t('err_detail', { message: r.data.message }) : null };
  }
  if (code === 'pin') return { text: t('err_pin', { n: r.data.attempts_left }) };
  if (code === 'link_used' && context === 'admin') return { text: t('admin_used') };
  if (code === 'link' && context === 'admin') return { text: t('admin_bad_link') };
  if (code === 'signin' && context === 'signin') return { text: t('err_signin') };
  const simple = {
    too_many: 'err_too_many', link: 'no_link', link_used: 'err_link_used', signin: 'err_signin',
    pin_locked: 'err_pin_locked', left: 'err_left', date: 'err_date', not_you: 'err_not_you',
    no_session: 'err_no_session', forbidden: 'err_forbidden', not_found: 'err_not_found',
    coming: 'err_coming', superseded: 'err_superseded',
    origin: 'err_request', content_type: 'err_request', too_large: 'err_request', payload_form: 'err_request',
  };
  if (simple[code]) return { text: t(simple[code]) };
  const detail = r.data.message ? t('err_detail', { message: r.data.message }) : null;
  if (code === 'refused') return { text: t('err_refused'), detail };
  if (code === 'unavailable') return { text: t('err_unavailable'), detail };
  return { text: t('err_generic', { code: code || r.status }), detail };
}

// A message box for one form: it stays beside the form, empty until a
// message comes, and screen readers hear what is put in it.
function messageBox(id) {
  return el('div', { id, class: 'form-message', 'aria-live': 'assertive' });
}

function say(box, words, kind) {
  box.replaceChildren();
  if (!words) return;
  const w = typeof words === 'string' ? { text: words } : words;
  const parts = [el('p', { text: w.text })];
  if (w.detail) parts.push(el('p', { class: 'detail', lang: 'en', text: w.detail }));
  box.append(el('div', { class: 'message ' + (kind || 'error') }, parts));
  // Where the eye is: on a small screen the field just focused may have
  // scrolled the message out of sight.
  if (box.scrollIntoView) box.scrollIntoView({ block: 'nearest' });
}

// ---- Dates --------------------------------------------------------------

const pad = (n) => String(n).padStart(2, '0');

// A date the server sends (YYYY-MM-DD) as a person reads it: 06.12.2026.
// in Latvian, as it is in English.
function day(iso) {
  if (!iso) return '—';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return iso;
  return lang === 'lv' ? m[3] + '.' + m[2] + '.' + m[1] + '.' : iso;
}

// A date typed as 31.12.2026(.) or 2026-12-31 as the server takes it
// (YYYY-MM-DD); '' when empty, null when it is neither (whether the day
// exists is the server's to say).
function isoDate(text) {
  const v = text.trim();
  if (!v) return '';
  let m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})\.?$/.exec(v);
  if (m) return m[3] + '-' + pad(m[2]) + '-' + pad(m[1]);
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  return m ? v : null;
}

// A moment (RFC 3339) in this computer's time: 13.12.2026. plkst. 14:05.
function moment(rfc3339) {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  const date = d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
  return t('moment', { date: day(date), time: pad(d.getHours()) + ':' + pad(d.getMinutes()) });
}

// ---- Bytes and signatures -----------------------------------------------

const utf8 = (s) => new TextEncoder().encode(s);

function b64(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// DSSE v1 pre-authentication encoding.
function pae(type, payload) {
  const head = utf8('DSSEv1 ' + utf8(type).length + ' ' + type + ' ' + payload.length + ' ');
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

async function signPae(privateKey, type, payload) {
  const sig = await crypto.subtle.sign({ name: 'Ed25519' }, privateKey, pae(type, payload));
  return new Uint8Array(sig);
}

async function makeKey() {
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const keyid = hex(new Uint8Array(await crypto.subtle.digest('SHA-256', raw)));
  return { privateKey: pair.privateKey, publicRaw: raw, keyid };
}

// ---- Keys in IndexedDB --------------------------------------------------

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open('ackreg-desk', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('keys', { keyPath: 'id' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function keysStore(mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction('keys', mode);
    const req = work(tx.objectStore('keys'));
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = () => reject(tx.error);
  });
}

const saveKey = (record) => keysStore('readwrite', (s) => s.put(record));
const listKeys = () => keysStore('readonly', (s) => s.getAll());
// The employees' keys (administrators' keys are kept beside them).
const listEmployeeKeys = async () => (await listKeys()).filter((k) => k.role !== 'admin');
const getKey = (id) => keysStore('readonly', (s) => s.get(id));

// ---- Shared pieces --------------------------------------------------------

function heading(text) {
  return el('h1', { text, tabindex: '-1', id: 'page-title' });
}

function focusTitle() {
  const h = document.getElementById('page-title');
  if (h) h.focus();
}

function standingTag(standing) {
  return el('span', { class: 'tag tag-' + standing, text: t('st_' + standing) });
}

function field(id, labelText, input, hint) {
  const hintNode = hint ? el('p', { class: 'hint', id: id + '-hint', text: hint }) : null;
  if (hint) input.setAttribute('aria-describedby', id + '-hint');
  input.id = id;
  return el('div', { class: 'field' }, el('label', { for: id, text: labelText }), hintNode, input);
}

function table(caption, head, rows) {
  const thead = el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col', text: h }))));
  const tbody = el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, c)))));
  const tbl = el('table', {}, el('caption', { text: caption }), thead, tbody);
  return el('div', { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: '0' }, tbl);
}

function download(text, filename, label) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
  return el('a', { href: url, download: filename, class: 'button', id: 'save-receipt', text: label });
}

async function about() {
  const r = await api('GET', '/api/about');
  if (r.ok && r.data.body) document.getElementById('org').textContent = r.data.body;
}

// ---- The employee's desk --------------------------------------------------

// Never signs in by itself: the person picks their name (when the browser
// holds several keys) and enters their PIN, every time a session starts.
async function deskView(flash) {
  const me = await api('GET', '/api/me');
  if (me.status === 401) {
    const keys = await listEmployeeKeys().catch(() => []);
    if (keys.length === 0) return noKeyView(flash);
    if (keys.length > 1) return chooseView(keys, flash);
    return pinView(keys[0], keys, flash);
  }
  if (!me.ok) return failView(me);
  document.getElementById('signout').hidden = false;
  const forms = {};
  rerender = () => renderDesk(me.data, null, forms);
  rerender();
  focusTitle();
}

// A message at the top of a fresh view (after signing out).
function flashNode(flash) {
  return flash ? el('div', { class: 'message success', id: 'flash', role: 'status' }, el('p', { text: t(flash) })) : null;
}

function noKeyView(flash) {
  rerender = () => show(heading(t('nokey_h')), flashNode(flash), el('p', { class: 'lead', text: t('nokey_p') }));
  rerender();
  focusTitle();
}

function chooseView(keys, flash) {
  rerender = () => show(
    heading(t('choose_h')),
    flashNode(flash),
    el('p', { text: t('choose_p') }),
    el('ul', { class: 'choose-list' }, keys.map((k) => el('li', {}, el('button', {
      type: 'button', class: 'secondary', text: k.name + ' (' + k.id + ')', 'data-id': k.id,
      onclick: () => pinView(k, keys, null),
    })))),
  );
  rerender();
  focusTitle();
}

function failView(r, context) {
  rerender = () => {
    const box = messageBox('view-message');
    show(heading(t('app')), box);
    say(box, errorWords(r, context));
  };
  rerender();
}

// The PIN form for one key; `setting` when the key has no PIN yet (it was
// enrolled before PINs): then the PIN is asked twice and becomes its PIN.
function pinView(record, keys, flash, setting) {
  rerender = () => {
    const pin = el('input', { type: 'password', inputmode: 'numeric', autocomplete: 'off', maxlength: '8', required: true });
    const again = setting ? el('input', { type: 'password', inputmode: 'numeric', autocomplete: 'off', maxlength: '8', required: true }) : null;
    const box = messageBox('pin-message');
    const button = el('button', { type: 'submit', class: 'primary', text: t(setting ? 'setpin_button' : 'signin_button') });
    const form = el('form', { id: 'pin-form', novalidate: true },
      field('pin', t('f_pin'), pin, t('f_pin_hint')),
      again ? field('pin-again', t('f_pin_again'), again) : null,
      box,
      button,
      keys.length > 1 ? el('button', { type: 'button', class: 'secondary', id: 'not-me', text: t('not_me'), onclick: () => chooseView(keys, null) }) : null);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const problem = pinProblem(pin.value, again ? again.value : pin.value);
      if (problem) { pin.setAttribute('aria-invalid', 'true'); pin.focus(); say(box, t(problem)); return; }
      button.disabled = true;
      button.textContent = t('signing_in');
      const r = await signIn(record, pin.value, Boolean(setting));
      button.disabled = false;
      button.textContent = t(setting ? 'setpin_button' : 'signin_button');
      if (r.ok) return deskView();
      if (r.data.error === 'pin_unset') return pinView(record, keys, null, true);
      pin.value = '';
      if (again) again.value = '';
      pin.setAttribute('aria-invalid', 'true');
      pin.focus();
      say(box, errorWords(r, 'signin'));
    });
    show(
      heading(t(setting ? 'setpin_h' : 'pin_h')),
      flashNode(flash),
      el('p', { class: 'lead', id: 'pin-who', text: t('pin_for', { name: record.name, id: record.id }) }),
      el('p', { text: t(setting ? 'setpin_p' : 'pin_p') }),
      form,
    );
  };
  rerender();
  focusTitle();
}

// Why a PIN typed (and typed again) cannot be sent, or null.
function pinProblem(pin, again) {
  if (!/^[0-9]{4,8}$/.test(pin)) return 'pin_short';
  if (pin !== again) return 'pin_mismatch';
  return null;
}

// Signs in with the browser's key and the PIN; the server's answer.
async function signIn(record, pin, setPin) {
  const c = await api('POST', '/api/challenge', {});
  if (!c.ok) return c;
  const sig = await signPae(record.privateKey, SIGNIN_TYPE, utf8(c.data.challenge));
  const body = { keyid: record.keyid, challenge: c.data.challenge, signature: b64(sig), pin };
  if (setPin) body.set_pin = true;
  return api('POST', '/api/signin', body);
}

// The employee's documents (the server's order: overdue first, then by
// their own deadline): those to sign now, those published ahead of their
// day (read-only until then), those done; then the superseded versions
// that concerned them, folded away. A server without `documents` gives
// `versions` only: each is then its own document.
// `forms` keeps the sign forms across re-renders (a language switch), so
// that a tick or a note already given, or an opened list of changes, is
// not lost.
function renderDesk(me, done, forms) {
  const docs = me.documents || me.versions.filter((v) => v.phase !== 'superseded');
  const open = docs.filter((v) => v.can_sign);
  const coming = docs.filter((v) => !v.can_sign && v.phase === 'coming');
  const finished = docs.filter((v) => !v.can_sign && v.phase !== 'coming');
  const past = me.versions.filter((v) => v.phase === 'superseded');
  const nodes = [heading(t('desk_h')), el('p', { class: 'who', text: t('signed_in_as', { name: me.name, id: me.id }) })];
  if (me.leaving) nodes.push(el('p', { class: 'muted', id: 'leaving', text: t('leaving_note', { date: day(me.leaving) }) }));
  if (done) nodes.push(done);
  if (open.length === 0 && !done) nodes.push(el('div', { class: 'message success' }, el('p', { text: t('nothing') })));
  if (open.length > 1) {
    nodes.push(el('p', { class: 'lead', id: 'owe-count', text: t('owe_count', { n: open.length }) }));
    nodes.push(el('ul', { class: 'owe-list', id: 'owe-list' }, open.map((v) => el('li', {},
      el('a', { href: '#card-' + v.sha256, text: cardTitle(v) }), ' ', standingTag(v.standing),
      ' ' + t('deadline') + ': ' + day(v.deadline)))));
  }
  for (const v of open) nodes.push(signCard(me, v, forms));
  for (const v of coming) nodes.push(comingCard(v));
  for (const v of finished) nodes.push(statusCard(v));
  if (past.length) {
    nodes.push(el('details', { class: 'past', id: 'past' },
      el('summary', { text: t('past_h', { n: past.length }) }),
      past.map((v) => statusCard(v))));
  }
  show(...nodes);
}

// The title a card is headed by: the document's, else the version's own.
const cardTitle = (v) => v.document_title || v.title;

// "What changed since you signed version N": fetched when first opened,
// kept in `kept` (the form's state) so a re-render shows it again.
function changesBlock(v, kept) {
  const body = el('div', { class: 'changes-body' });
  const summary = el('summary', { text: t('changes_h', { label: v.changes.from }) });
  const details = el('details', { class: 'changes', id: 'changes-' + v.sha256, open: kept.changesOpen }, summary, body);
  const fill = () => body.replaceChildren(...changesList(kept.changesData, v));
  if (kept.changesData) fill();
  details.addEventListener('toggle', async () => {
    kept.changesOpen = details.open;
    if (!details.open || kept.changesData) return;
    body.replaceChildren(el('p', { role: 'status', text: t('changes_loading') }));
    const r = await api('GET', v.changes.url);
    if (!r.ok) { body.replaceChildren(el('p', { role: 'status', text: t('changes_failed') })); return; }
    kept.changesData = r.data;
    fill();
  });
  return details;
}

// Words marked as inserted or deleted, with words a screen reader says.
function marked(tag, text) {
  return el(tag, {}, el('span', { class: 'sr-only', text: t(tag === 'ins' ? 'ins_start' : 'del_start') }), text,
    el('span', { class: 'sr-only', text: t('mark_end') }));
}

function changesList(c, v) {
  const s = c.summary;
  const nodes = [
    el('p', { class: 'changes-sum', text: t('changes_sum', { a: s.added, r: s.removed, c: s.changed, n: s.renumbered }) }),
    el('p', { class: 'muted', text: t('changes_note') }),
  ];
  const items = c.changes.map((ch) => {
    const number = (x) => (x && x.number ? x.number : '');
    const what = t('ch_' + ch.what);
    const chapter = ch.kind === 'chapter' ? ' (' + t('ch_chapter') + ')' : '';
    const where = ch.what === 'renumbered' || (ch.what === 'changed' && ch.old && ch.new && ch.old.number !== ch.new.number)
      ? number(ch.old) + ' → ' + number(ch.new) : number(ch.new || ch.old);
    const head = el('p', { class: 'change-head' }, el('span', { class: 'tag tag-ch-' + ch.what, text: what }), ' ', el('strong', { text: where + chapter }));
    let text;
    if (ch.what === 'added') text = el('p', {}, marked('ins', ch.new.text));
    else if (ch.what === 'removed') text = el('p', {}, marked('del', ch.old.text));
    else if (ch.what === 'changed') {
      const parts = [];
      ch.words.forEach((w, i) => {
        if (i > 0) parts.push(' ');
        parts.push(w.op === 'same' ? w.text : marked(w.op === 'inserted' ? 'ins' : 'del', w.text));
      });
      text = el('p', {}, parts);
    } else text = el('p', { text: ch.new.text });
    return el('li', { class: 'change change-' + ch.what }, head, text);
  });
  nodes.push(items.length ? el('ol', { class: 'change-list', 'aria-label': t('changes_h', { label: v.changes.from }) }, items) : el('p', { text: t('changes_none') }));
  return nodes;
}

function phaseTag(v) {
  if (v.phase === 'coming') return el('span', { class: 'tag tag-coming', text: t('coming_tag', { date: day(v.effective) }) });
  if (v.phase === 'superseded') return el('span', { class: 'tag tag-superseded', text: t('superseded_tag') });
  return null;
}

// A version published ahead of its day: read now, signed from that day.
function comingCard(v) {
  return el('section', { class: 'card coming', 'aria-label': cardTitle(v) },
    el('h2', { text: cardTitle(v) }),
    el('p', { class: 'muted', text: t('version', { label: v.label }) }),
    el('ul', { class: 'facts' },
      el('li', {}, phaseTag(v)),
      el('li', { text: t('deadline') + ': ' + day(v.deadline) })),
    el('p', { class: 'coming-note', text: t('coming_p', { date: day(v.effective) }) }),
    el('p', {}, el('a', { href: v.pdf, target: '_blank', rel: 'noopener', class: 'coming-pdf', text: t('open_pdf') })));
}

function facts(v) {
  const items = [
    el('li', {}, standingTag(v.standing), phaseTag(v) ? ' ' : null, phaseTag(v)),
    el('li', { text: t('effective') + ': ' + day(v.effective) }),
    el('li', { text: t('deadline') + ': ' + day(v.deadline) }),
  ];
  if (v.signed) items.push(el('li', { text: t('signed_on') + ': ' + day(v.signed) }));
  return el('ul', { class: 'facts' }, items);
}

function statusCard(v) {
  const nodes = [el('h2', { text: cardTitle(v) }), el('p', { class: 'muted', text: t('version', { label: v.label }) }), facts(v)];
  if (v.entry !== null && v.entry !== undefined) {
    nodes.push(el('p', {}, el('a', { href: '/api/receipt/' + v.entry, download: 'kvits-' + v.entry + '.txt', text: t('receipt_again') + ' (' + t('entry', { n: v.entry }) + ')' })));
  }
  return el('section', { class: 'card done', 'aria-label': cardTitle(v) + ', ' + t('version', { label: v.label }) }, nodes);
}

function signCard(me, v, forms) {
  const kept = (forms && forms[v.sha256]) || { checked: false, notes: '' };
  if (forms) forms[v.sha256] = kept;
  const box = el('input', { type: 'checkbox', id: 'agree-' + v.sha256 });
  box.checked = kept.checked;
  box.addEventListener('change', () => { kept.checked = box.checked; });
  const notes = el('textarea', { rows: '3' });
  notes.value = kept.notes;
  notes.addEventListener('input', () => { kept.notes = notes.value; });
  const button = el('button', { type: 'submit', class: 'primary', text: t('sign') });
  const message = messageBox('sign-message-' + v.sha256);
  const form = el('form', { class: 'sign-form', novalidate: true },
    // The whole statement box is the tick's target, not just the small
    // checkbox: a click or tap anywhere in it ticks.
    el('label', { class: 'statement', for: box.id }, box,
      el('span', {}, el('span', { lang: 'lv', text: STATEMENT }), lang === 'en' ? ' ' + t('statement_en') : '')),
    field('notes-' + v.sha256, t('notes'), notes),
    message,
    button);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!box.checked) { box.focus(); say(message, t('tick_first')); return; }
    say(message, null);
    button.disabled = true;
    button.textContent = t('signing');
    await signVersion(me, v, notes.value, message, forms);
    button.disabled = false;
    button.textContent = t('sign');
  });
  return el('section', { class: 'card open', id: 'card-' + v.sha256, tabindex: '-1', 'aria-label': cardTitle(v) },
    el('h2', { text: cardTitle(v) }),
    el('p', { class: 'muted', text: t('version', { label: v.label }) }),
    facts(v),
    v.changes ? changesBlock(v, kept) : null,
    el('p', { text: t('read_doc') + ' ' }, el('a', { href: v.pdf, target: '_blank', rel: 'noopener', text: t('open_pdf') })),
    el('iframe', { class: 'doc-frame', src: v.pdf, loading: 'lazy', title: t('doc_frame', { title: cardTitle(v) }) }),
    form);
}

async function signVersion(me, v, notesText, message, forms) {
  const record = await getKey(me.id).catch(() => null);
  if (!record || record.keyid !== me.keyid) { say(message, t('err_signin')); return; }
  const payload = {
    type: ACK_TYPE,
    document: { title: v.title, sha256: v.sha256 },
    employee: { name: me.name, id: me.id },
    date: me.today,
    statement: STATEMENT,
  };
  const notes = notesText.replace(/\r\n/g, '\n').trim().normalize('NFC');
  if (notes) payload.notes = notes;
  const bytes = utf8(JSON.stringify(payload));
  const sig = await signPae(record.privateKey, PAYLOAD_TYPE, bytes);
  const envelope = { payloadType: PAYLOAD_TYPE, payload: b64(bytes), signatures: [{ keyid: record.keyid, sig: b64(sig) }] };
  const r = await api('POST', '/api/ack', JSON.stringify(envelope));
  if (!r.ok) { say(message, errorWords(r)); return; }
  const fresh = await api('GET', '/api/me');
  const data = fresh.ok ? fresh.data : me;
  const done = () => el('div', { class: 'message success', id: 'signed' },
    el('p', { text: t(r.data.again ? 'signed_again' : 'signed_ok', { n: r.data.entry }) }),
    el('p', { text: t('receipt_help') }),
    el('p', {}, download(r.data.receipt, 'kvits-' + r.data.entry + '.txt', t('save_receipt'))),
    el('details', {}, el('summary', { text: t('show_receipt') }), el('pre', { id: 'receipt-text', class: 'receipt', tabindex: '0', text: r.data.receipt })));
  rerender = () => renderDesk(data, done(), forms);
  rerender();
  document.getElementById('save-receipt').focus();
}

// ---- Enrolment ----------------------------------------------------------

async function enrolView() {
  const token = location.hash.slice(1);
  history.replaceState(null, '', location.pathname);
  const info = token ? await api('POST', '/api/enrol/info', { token }) : { ok: false, status: 403, data: { error: 'link' } };
  if (info.data.error === 'link_used') return usedLinkView();
  if (!info.ok) return failView(info);
  rerender = () => renderEnrol(token, info.data);
  rerender();
  focusTitle();
}

// A link opened again after it enrolled someone: the way on is the desk
// with the key made then, not a new link (which would replace that key).
async function usedLinkView() {
  const keys = await listEmployeeKeys().catch(() => []);
  rerender = () => show(
    heading(t('used_h')),
    el('p', { class: 'lead', text: t('used_p') }),
    keys.length ? el('div', { class: 'message success' }, el('p', { text: t('used_here') })) : null,
    el('p', {}, el('a', { href: '/', class: 'button', id: 'go-sign', text: t('go_sign') })),
    el('p', { text: t('used_new') }),
  );
  rerender();
  focusTitle();
}

function renderEnrol(token, info) {
  const pin = el('input', { type: 'password', inputmode: 'numeric', autocomplete: 'new-password', maxlength: '8', required: true });
  const again = el('input', { type: 'password', inputmode: 'numeric', autocomplete: 'new-password', maxlength: '8', required: true });
  const box = messageBox('enrol-message');
  const button = el('button', { type: 'submit', class: 'primary', text: t('enrol_button') });
  const form = el('form', { id: 'enrol-form', novalidate: true },
    el('p', { text: t('enrol_pin_p') }),
    field('enrol-pin', t('f_pin'), pin, t('f_pin_hint')),
    field('enrol-pin-again', t('f_pin_again'), again),
    box,
    button);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const problem = pinProblem(pin.value, again.value);
    if (problem) { pin.setAttribute('aria-invalid', 'true'); pin.focus(); say(box, t(problem)); return; }
    pin.removeAttribute('aria-invalid');
    say(box, null);
    button.disabled = true;
    button.textContent = t('enrol_working');
    await enrol(token, pin.value, box);
    button.disabled = false;
    button.textContent = t('enrol_button');
  });
  show(
    heading(t('enrol_h')),
    el('p', { class: 'lead', text: t('enrol_for', { name: info.name, id: info.id }) }),
    el('p', { text: t('enrol_p') }),
    info.replace ? el('p', { class: 'message', text: t('enrol_replace') }) : null,
    form,
  );
}

async function enrol(token, pin, box) {
  let key;
  try { key = await makeKey(); } catch (e) { say(box, t('no_webcrypto')); return; }
  const sig = await signPae(key.privateKey, ENROL_TYPE, utf8(token));
  const r = await api('POST', '/api/enrol', { token, public_key: b64(key.publicRaw), signature: b64(sig), pin });
  if (!r.ok) { say(box, errorWords(r)); return; }
  await saveKey({ id: r.data.id, name: r.data.name, keyid: key.keyid, privateKey: key.privateKey, created: new Date().toISOString() });
  rerender = () => show(
    heading(t('enrol_h')),
    el('div', { class: 'message success', id: 'enrolled' }, el('p', { text: t('enrol_ok') })),
    el('a', { href: '/', class: 'button', id: 'go-desk', text: t('go_desk') }),
  );
  rerender();
  document.getElementById('go-desk').focus();
}

// ---- Administration -------------------------------------------------------

async function adminView() {
  const token = location.hash.slice(1);
  let refusal = null;
  if (token) {
    history.replaceState(null, '', location.pathname);
    const s = await api('POST', '/api/admin/signin', { token });
    if (!s.ok && s.status !== 403) return failView(s, 'admin');
    if (!s.ok) refusal = s;
  }
  await loadAdmin(refusal);
  focusTitle();
}

// The administration's page, or why there is none: no session, or the
// sign-in link just refused (`refusal`).
async function loadAdmin(refusal, after) {
  const r = await api('GET', '/api/admin/status');
  if (r.status === 401 || r.status === 403) {
    adminMe = null;
    const keys = await listAdminKeys();
    if (keys.length) return adminKeyView(keys, refusal);
    rerender = () => {
      const box = messageBox('admin-message');
      show(heading(t('admin_h')), box, el('p', { class: 'lead', text: t('admin_none') }));
      if (refusal) say(box, errorWords(refusal, 'admin'));
    };
    return rerender();
  }
  if (!r.ok) return failView(r);
  document.getElementById('signout').hidden = false;
  const a = await api('GET', '/api/admin/admins');
  adminMe = a.ok ? a.data.me : null;
  rerender = () => { renderAdmin(r.data, after, a.ok ? a.data : null); showAfter(after); };
  rerender();
}

// `a`: the administrators (admins.js), or null.
function renderAdmin(s, after, a) {
  show(
    heading(t('admin_h')),
    el('p', { class: 'muted', text: t('admin_log', { origin: s.origin, size: s.size, today: day(s.today) }) }),
    adminsTop(a, after),
    el('h2', { text: t('documents_h') }),
    s.versions.length ? documentBlocks(s) : el('p', { text: t('no_versions') }),
    // The day's work, in the order README's desk section tells it.
    publishSection(after),
    staffSection(),
    el('div', { class: 'panel-grid' }, issueForm(), leaveForm(s.employees, after)),
    el('div', { class: 'panel-grid' }, keysPanels(s, a)),
    el('h2', { text: t('employees_h') }),
    employeesTable(s.employees),
    reportsSection(s),
    el('h2', { text: t('downloads_h') }),
    downloads(s.versions),
    adminsSection(s, a),
  );
}

// The status grouped by document: each a fold (open when there is only
// one) whose summary gives the counts of its current version; inside, the
// counts per unit, then each version's table. A server without
// `documents` gives the versions alone.
function documentBlocks(s) {
  if (!s.documents) return s.versions.map((v, i) => versionBlock(v, i, true));
  const one = s.documents.length === 1;
  return s.documents.map((d) => {
    const c = d.counts;
    const current = d.version === null ? null : s.versions[d.version];
    const summary = el('summary', { class: 'doc-summary' },
      el('span', { class: 'doc-title', text: t('doc_summary', { title: d.title, a: c.acknowledged + c.late, o: c.outstanding, d: c.overdue }) }),
      c.no_key ? ' ' : null,
      c.no_key ? el('span', { class: 'tag tag-nokey', text: t('nokey_count', { n: c.no_key }) }) : null);
    const blocks = d.versions.map((i) => versionBlock(s.versions[i], i, one));
    const group = el('details', { class: 'doc-group', id: 'doc-' + d.id, open: one },
      summary,
      current ? el('p', { class: 'muted', text: t('doc_version', { label: current.label }) }) : null,
      d.units.length ? unitTable(d) : null,
      blocks);
    // The people's lines of each version come when the fold is opened:
    // an organisation's are megabytes.
    group.addEventListener('toggle', () => {
      if (group.open) for (const b of blocks) loadLines(b);
    });
    return group;
  });
}

function unitTable(d) {
  const rows = d.units.map((u) => {
    const c = u.counts;
    return [u.unit === null ? t('no_unit') : u.name + ' (' + u.unit + ')', String(c.acknowledged), String(c.late), String(c.outstanding), String(c.overdue), String(c.left), String(c.no_key)];
  });
  return table(t('by_unit', { title: d.title }),
    [t('col_unit'), t('col_ack'), t('col_late'), t('col_out'), t('col_over'), t('col_gone'), t('col_nokey')], rows);
}

// A version's block: its facts and counts at once; its people's table
// from `/api/admin/status/lines/N` when shown (`now`, or when its
// document's fold opens). A server that sends the lines along is shown
// as it is.
function versionBlock(v, i, now) {
  const holder = el('div', { class: 'lines', 'data-version': String(i), 'data-label': v.label, 'data-title': v.title });
  // The counts of a version the server did not count come with its lines.
  const counts = el('p', { class: 'counts', text: v.counts ? countsText(v.counts) : '' });
  const block = el('section', { class: 'card', 'aria-label': t('v_caption', { label: v.label, title: v.title }) },
    el('h3', { text: t('v_caption', { label: v.label, title: v.title }) }),
    el('ul', { class: 'facts' },
      el('li', {}, t('phase') + ': ', phaseTag(v) || el('span', { class: 'tag tag-in-force', text: t('in_force_tag') })),
      el('li', { text: t('effective') + ': ' + day(v.effective) }),
      el('li', { text: t('deadline') + ': ' + day(v.deadline) })),
    counts,
    holder);
  if (v.lines) showLines(holder, v.lines);
  else if (now) loadLines(block);
  return block;
}

function countsText(c) {
  return t('counts', { a: c.acknowledged, l: c.late, o: c.outstanding, d: c.overdue, g: c.left });
}

function countsOf(lines) {
  const n = (k) => lines.filter((l) => l.standing === k).length;
  return { acknowledged: n('acknowledged'), late: n('late'), outstanding: n('outstanding'), overdue: n('overdue'), left: n('left') };
}

function showLines(holder, lines) {
  const who = (l) => l.no_key ? [l.name + ' (' + l.id + ') ', el('span', { class: 'tag tag-nokey', text: t('no_key') })] : l.name + ' (' + l.id + ')';
  const rows = lines.map((l) => [who(l), standingTag(l.standing), day(l.deadline), l.signed ? day(l.signed) : '—', l.entry === null ? '—' : String(l.entry)]);
  holder.replaceChildren(rows.length ? table(t('v_table', { label: holder.dataset.label, title: holder.dataset.title }),
    [t('col_employee'), t('col_status'), t('col_deadline'), t('col_signed'), t('col_entry')], rows) : el('p', { text: t('nobody') }));
  const counts = holder.parentNode && holder.parentNode.querySelector('.counts');
  if (counts && !counts.textContent) counts.textContent = countsText(countsOf(lines));
  holder.dataset.loaded = 'yes';
}

// Fetches a version block's lines once (again after a failure).
async function loadLines(block) {
  const holder = block.querySelector('.lines');
  if (!holder || holder.dataset.loaded || holder.dataset.loading) return;
  holder.dataset.loading = 'yes';
  holder.replaceChildren(el('p', { class: 'muted', role: 'status', text: t('loading') }));
  const r = await api('GET', '/api/admin/status/lines/' + holder.dataset.version);
  delete holder.dataset.loading;
  if (r.ok && Array.isArray(r.data)) showLines(holder, r.data);
  else holder.replaceChildren(el('p', { class: 'muted', text: errorWords(r).text }));
}

// Marks the input a refusal names as the one at fault, and focuses it.
function markField(inputs, words) {
  for (const input of Object.values(inputs)) input.removeAttribute('aria-invalid');
  const bad = words && words.field && inputs[words.field];
  if (bad) { bad.setAttribute('aria-invalid', 'true'); bad.focus(); }
}

function issueForm() {
  const id = el('input', { type: 'text', autocomplete: 'off', required: true, spellcheck: 'false' });
  const name = el('input', { type: 'text', autocomplete: 'off', required: true });
  const position = el('input', { type: 'text', autocomplete: 'off' });
  const box = messageBox('issue-message');
  const out = el('div', { id: 'issued', 'aria-live': 'polite' });
  const form = el('form', { id: 'issue-form', novalidate: true },
    field('issue-id', t('f_id'), id, t('f_id_hint')),
    field('issue-name', t('f_name'), name),
    field('issue-position', t('f_position'), position),
    box,
    el('button', { type: 'submit', class: 'primary', text: t('issue_button') }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = await api('POST', '/api/admin/enrolments', { id: id.value.trim(), name: name.value, position: position.value });
    if (!r.ok) {
      const words = errorWords(r);
      markField({ id, name, position }, words);
      say(box, words);
      return;
    }
    say(box, null);
    markField({ id, name, position }, null);
    out.replaceChildren(issuedLink(r.data));
    document.getElementById('issued-link').focus();
  });
  return el('section', { 'aria-labelledby': 'issue-h', id: 'issue-section' },
    el('h2', { id: 'issue-h', text: t('issue_h') }), el('p', { text: t('issue_p') }), form, out);
}

function issuedLink(d) {
  const url = location.origin + d.link;
  const input = el('input', { type: 'text', readonly: true, class: 'wide', value: url });
  const copy = el('button', { type: 'button', class: 'secondary', text: t('copy') });
  const box = messageBox('copy-message');
  copy.addEventListener('click', async () => {
    input.select();
    try { await navigator.clipboard.writeText(url); say(box, t('copied'), 'success'); } catch (e) { /* selected for copying by hand */ }
  });
  return el('div', { class: 'message success' },
    el('p', { id: 'issued-text', text: t('issued', { name: d.name, moment: d.expires_at ? moment(d.expires_at) : day(d.expires) }) }),
    d.replace ? el('p', { text: t('issued_replace') }) : null,
    field('issued-link', t('link_label'), input),
    copy,
    box);
}

function leaveForm(employees, after) {
  const active = employees.filter((e) => !e.left);
  const select = el('select', { required: true }, active.map((e) => el('option', { value: e.id, text: e.name + ' (' + e.id + ')' })));
  // A text field, not type=date, whose picker speaks the browser's
  // language and order (mm/dd/yyyy) rather than the page's.
  const date = el('input', { type: 'text', inputmode: 'numeric', autocomplete: 'off', spellcheck: 'false' });
  const box = messageBox('leave-message');
  const form = el('form', { id: 'leave-form', novalidate: true },
    field('leave-id', t('f_employee'), select),
    field('leave-date', t('f_date'), date, t('f_date_hint')),
    box,
    el('button', { type: 'submit', class: 'secondary', text: t('leave_button'), disabled: active.length === 0 }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { id: select.value };
    const iso = isoDate(date.value);
    if (iso === null) {
      const words = { text: t('err_field_date'), field: 'date' };
      markField({ id: select, date }, words);
      say(box, words);
      return;
    }
    if (iso) body.date = iso;
    // A named administrator's departure is a signed request (admins.js);
    // the one-time link's is written as before.
    const r = adminMe ? await askAndCommit('/api/admin/ask/leave', body) : await api('POST', '/api/admin/leave', body);
    if (!r.ok) {
      const words = adminMe ? adminErrorWords(r) : errorWords(r);
      markField({ id: select, date }, words);
      say(box, words);
      return;
    }
    await loadAdmin(null, adminMe ? { left: r.data.planned ? null : r.data.entries[0], planned: r.data.planned || null } : { left: r.data.entry, planned: r.data.planned });
    const kept = document.getElementById('leave-message');
    if (kept) kept.scrollIntoView({ block: 'center' });
  });
  const section = el('section', { 'aria-labelledby': 'leave-h', id: 'leave-section' },
    el('h2', { id: 'leave-h', text: t('leave_h') }),
    active.length ? form : el('p', { text: t('nobody') }),
    active.length ? null : box);
  if (after && after.planned) say(box, t('left_planned', { date: day(after.planned) }), 'success');
  else if (after && after.left !== undefined && after.left !== null) say(box, t('left_ok', { n: after.left }), 'success');
  return section;
}

function employeesTable(employees) {
  if (!employees.length) return el('p', { text: t('nobody') });
  const rows = employees.map((e) => [e.id, e.name, e.position || '—', day(e.enrolled), e.left ? day(e.left) : '—', e.leaving ? day(e.leaving) : '—']);
  return table(t('employees_h'), [t('col_id'), t('col_name'), t('col_position'), t('col_enrolled'), t('col_left'), t('col_leaving')], rows);
}

function downloads(versions) {
  const items = [
    el('li', {}, el('a', { href: '/api/admin/download/entries', download: 'entries.jsonl', text: t('dl_entries') })),
    el('li', {}, el('a', { href: '/api/admin/download/checkpoint', download: 'checkpoint', text: t('dl_checkpoint') })),
  ];
  versions.forEach((v, i) => {
    const n = (v.annex === undefined || v.annex === null) ? i : v.annex;
    items.push(el('li', {}, el('a', {
      href: '/api/admin/download/annex/' + n, download: 'pielikums-' + (n + 1) + '.pdf',
      text: t('dl_annex', { label: v.document ? v.document + ' ' + v.label : v.label }),
    })));
  });
  return el('ul', {}, items);
}

// ---- Start --------------------------------------------------------------

function notFoundView() {
  rerender = () => {
    document.title = t('nf_h') + ' – ' + t('app');
    show(
      heading(t('nf_h')),
      el('p', { text: t('nf_p') }),
      el('p', {}, el('a', { href: '/', text: t('nf_home') })),
    );
  };
  rerender();
}

// Signing out ends the session on the server and leaves the page signed
// out: the next sign-in needs the person's name and PIN again.
async function signOut() {
  await api('POST', '/api/signout', {});
  document.getElementById('signout').hidden = true;
  if (location.pathname !== '/') history.pushState(null, '', '/');
  await deskView('signed_out');
}

function route() {
  const path = location.pathname;
  if (path === '/admin') adminView();
  else if (path === '/admin/join') joinView();
  else if (path === '/enrol') enrolView();
  else if (path === '/') deskView();
  else notFoundView();
}

function start() {
  applyStatic();
  document.getElementById('lang').addEventListener('click', () => {
    lang = lang === 'lv' ? 'en' : 'lv';
    localStorage.setItem('ackreg-lang', lang);
    applyStatic();
    rerender();
  });
  document.getElementById('signout').addEventListener('click', signOut);
  // A link pasted into this tab changes only the part after '#': the page
  // must read the new link, not keep showing what the old one said.
  // (Only a token counts: the skip link's #main changes the hash too.)
  window.addEventListener('hashchange', () => {
    const linkPage = location.pathname === '/enrol' || location.pathname === '/admin';
    if (linkPage && /^#[A-Za-z0-9_-]{43}$/.test(location.hash)) route();
  });
  about();
  route();
}

// Deferred scripts (this one, then admins.js and others) all run before
// DOMContentLoaded: the page starts once every one is there.
document.addEventListener('DOMContentLoaded', start);
