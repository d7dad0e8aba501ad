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
    choose_p: 'Šajā pārlūkā ir vairāku darbinieku atslēgas. Izvēlieties savu vārdu.',
    desk_h: 'Mani noteikumi',
    signed_in_as: 'Pieteicies: {name} ({id})',
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
    receipt_help: 'Kvīts pierāda, ka jūsu apliecinājums ir reģistrā uz visiem laikiem. Saglabājiet to.',
    save_receipt: 'Saglabāt kvīti',
    receipt_again: 'Lejupielādēt kvīti',
    show_receipt: 'Rādīt kvīts tekstu',
    enrol_h: 'Reģistrācija parakstīšanai',
    enrol_for: 'Reģistrācijas saite: {name} ({id})',
    enrol_p: 'Nospiežot pogu, šis pārlūks izveidos jūsu personīgo parakstīšanas atslēgu. Tā nekad neatstāj šo datoru. Izmantojiet pārlūku, kurā parakstīsiet arī turpmāk.',
    enrol_replace: 'Jūsu iepriekšējā atslēga tiks aizstāta ar jauno.',
    enrol_button: 'Izveidot atslēgu un reģistrēties',
    enrol_working: 'Veido atslēgu…',
    enrol_ok: 'Reģistrācija pabeigta. Tagad varat iepazīties ar noteikumiem un tos parakstīt.',
    go_desk: 'Turpināt',
    no_link: 'Saite nav derīga: tā jau izmantota, tai beidzies termiņš vai tā nekad nav pastāvējusi. Lūdziet administrācijai jaunu saiti.',
    no_webcrypto: 'Šis pārlūks neprot izveidot Ed25519 atslēgu. Izmantojiet jaunāku pārlūku.',
    admin_h: 'Reģistra pārvaldība',
    admin_none: 'Administratora sesija nav atvērta. Izmantojiet vienreizējo pieteikšanās saiti, ko izdrukāja komanda „ackreg serve”.',
    admin_log: 'Žurnāls {origin}: {size} ieraksti. Šodien: {today}.',
    versions_h: 'Noteikumu versijas',
    no_versions: 'Žurnālā vēl nav publicētas noteikumu versijas.',
    v_caption: 'Versija {label}: {title}',
    v_table: 'Kas iepazinies ar versiju {label}',
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
    issue_h: 'Izsniegt reģistrācijas saiti',
    issue_p: 'Saite der vienai reizei un septiņām dienām. Nosūtiet to darbiniekam personīgi.',
    f_id: 'Identifikators',
    f_id_hint: 'Mazie latīņu burti, cipari, punkts, pasvītra vai defise, piemēram, jberzins.',
    f_name: 'Vārds, uzvārds',
    f_position: 'Amats (nav obligāti)',
    issue_button: 'Izsniegt saiti',
    issued: 'Saite darbiniekam {name} (derīga līdz {date}, lietojama vienu reizi):',
    issued_replace: 'Darbinieks jau ir reģistrēts: saite aizstās viņa atslēgu.',
    link_label: 'Reģistrācijas saite',
    copy: 'Kopēt saiti',
    copied: 'Saite nokopēta.',
    leave_h: 'Reģistrēt darbinieka aiziešanu',
    f_employee: 'Darbinieks',
    f_date: 'Datums',
    f_date_hint: 'Pirmā diena, kad darbinieks vairs nestrādā. Tukšs: šodien.',
    leave_button: 'Reģistrēt aiziešanu',
    left_ok: 'Aiziešana reģistrēta kā ieraksts Nr. {n}.',
    nobody: 'Nav darbinieku.',
    employees_h: 'Darbinieki',
    downloads_h: 'Lejupielādes',
    dl_entries: 'Žurnāla ieraksti (entries.jsonl)',
    dl_checkpoint: 'Jaunākais parakstītais kontrolpunkts',
    dl_annex: 'Aizpildīts pielikums (PDF), versija {label}',
    counts: 'iepazinušies: {a}; ar nokavējumu: {l}; vēl nav: {o}; nokavēts: {d}; aizgājuši: {g}',
    st_acknowledged: 'iepazinies',
    st_late: 'iepazinies ar nokavējumu',
    st_outstanding: 'vēl nav iepazinies',
    st_overdue: 'termiņš nokavēts',
    st_left: 'aizgājis',
    err_generic: 'Neizdevās: {message}',
    err_network: 'Nav savienojuma ar serveri. Mēģiniet vēlreiz.',
    err_too_many: 'Pārāk daudz neveiksmīgu mēģinājumu. Pagaidiet minūti un mēģiniet vēlreiz.',
    err_signin: 'Šī atslēga vairs nav derīga. Lūdziet administrācijai jaunu reģistrācijas saiti.',
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
    choose_p: 'This browser holds keys of several employees. Choose your name.',
    desk_h: 'My rules',
    signed_in_as: 'Signed in: {name} ({id})',
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
    receipt_help: 'The receipt proves that your acknowledgement is in the register for good. Keep it.',
    save_receipt: 'Save the receipt',
    receipt_again: 'Download the receipt',
    show_receipt: 'Show the receipt\'s text',
    enrol_h: 'Enrolment for signing',
    enrol_for: 'Enrolment link: {name} ({id})',
    enrol_p: 'When you press the button, this browser makes your personal signing key. It never leaves this computer. Use the browser you will sign with from now on.',
    enrol_replace: 'Your previous key will be replaced by the new one.',
    enrol_button: 'Make my key and enrol',
    enrol_working: 'Making the key…',
    enrol_ok: 'Enrolment complete. You can now read the rules and sign.',
    go_desk: 'Continue',
    no_link: 'This link is not valid: it was used already, has expired, or never existed. Ask the administration for a new one.',
    no_webcrypto: 'This browser cannot make an Ed25519 key. Use a newer browser.',
    admin_h: 'Register administration',
    admin_none: 'No administrator session. Use the one-time sign-in link printed by "ackreg serve".',
    admin_log: 'Log {origin}: {size} entries. Today: {today}.',
    versions_h: 'Versions of the rules',
    no_versions: 'No version of the rules is published in the log yet.',
    v_caption: 'Version {label}: {title}',
    v_table: 'Who acknowledged version {label}',
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
    issue_h: 'Issue an enrolment link',
    issue_p: 'A link works once, for seven days. Give it to the employee in person.',
    f_id: 'Identifier',
    f_id_hint: 'Lowercase letters, digits, dot, underscore or hyphen, e.g. jberzins.',
    f_name: 'Full name',
    f_position: 'Position (optional)',
    issue_button: 'Issue the link',
    issued: 'Link for {name} (valid until {date}, works once):',
    issued_replace: 'This employee is enrolled already: the link will replace their key.',
    link_label: 'Enrolment link',
    copy: 'Copy the link',
    copied: 'Link copied.',
    leave_h: 'Record that an employee left',
    f_employee: 'Employee',
    f_date: 'Date',
    f_date_hint: 'The first day they no longer work here. Empty: today.',
    leave_button: 'Record the departure',
    left_ok: 'Departure recorded as entry {n}.',
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
    err_generic: 'That failed: {message}',
    err_network: 'No connection to the server. Try again.',
    err_too_many: 'Too many failed attempts. Wait a minute and try again.',
    err_signin: 'This key is no longer valid. Ask the administration for a new enrolment link.',
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

function notice(text, kind) {
  const box = document.getElementById('notice');
  box.replaceChildren();
  if (text) box.append(el('div', { class: 'message ' + (kind || '') }, el('p', { text })));
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

function errorText(r) {
  if (r.status === 0) return t('err_network');
  if (r.data.error === 'too_many') return t('err_too_many');
  if (r.data.error === 'link') return t('no_link');
  return t('err_generic', { message: r.data.message || r.status });
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

async function deskView() {
  let me = await api('GET', '/api/me');
  if (me.status === 401) {
    const keys = await listKeys().catch(() => []);
    if (keys.length === 0) return noKeyView();
    if (keys.length > 1) return chooseView(keys);
    const signed = await signIn(keys[0]);
    if (!signed) return;
    me = await api('GET', '/api/me');
  }
  if (!me.ok) return failView(me);
  document.getElementById('signout').hidden = false;
  rerender = () => renderDesk(me.data, null);
  rerender();
  focusTitle();
}

function noKeyView() {
  rerender = () => show(heading(t('nokey_h')), el('p', { class: 'lead', text: t('nokey_p') }));
  rerender();
  focusTitle();
}

function chooseView(keys) {
  rerender = () => show(
    heading(t('choose_h')),
    el('p', { text: t('choose_p') }),
    el('ul', { class: 'choose-list' }, keys.map((k) => el('li', {}, el('button', {
      type: 'button', class: 'secondary', text: k.name + ' (' + k.id + ')',
      onclick: async () => { if (await signIn(k)) deskView(); },
    })))),
  );
  rerender();
  focusTitle();
}

function failView(r) {
  rerender = () => show(heading(t('app')), el('div', { class: 'message error' }, el('p', { text: errorText(r) })));
  rerender();
}

async function signIn(record) {
  const c = await api('POST', '/api/challenge', {});
  if (!c.ok) { failView(c); return false; }
  const sig = await signPae(record.privateKey, SIGNIN_TYPE, utf8(c.data.challenge));
  const r = await api('POST', '/api/signin', { keyid: record.keyid, challenge: c.data.challenge, signature: b64(sig) });
  if (!r.ok) {
    rerender = () => show(heading(t('app')), el('div', { class: 'message error' },
      el('p', { text: r.status === 403 ? t('err_signin') : errorText(r) })));
    rerender();
    return false;
  }
  return true;
}

function renderDesk(me, done) {
  const open = me.versions.filter((v) => v.can_sign);
  const rest = me.versions.filter((v) => !v.can_sign);
  const nodes = [heading(t('desk_h')), el('p', { class: 'who', text: t('signed_in_as', { name: me.name, id: me.id }) })];
  if (done) nodes.push(done);
  if (open.length === 0 && !done) nodes.push(el('div', { class: 'message success' }, el('p', { text: t('nothing') })));
  for (const v of open) nodes.push(signCard(me, v));
  for (const v of rest) nodes.push(statusCard(v));
  show(...nodes);
}

function facts(v) {
  const items = [
    el('li', {}, standingTag(v.standing)),
    el('li', { text: t('effective') + ': ' + v.effective }),
    el('li', { text: t('deadline') + ': ' + v.deadline }),
  ];
  if (v.signed) items.push(el('li', { text: t('signed_on') + ': ' + v.signed }));
  return el('ul', { class: 'facts' }, items);
}

function statusCard(v) {
  const nodes = [el('h2', { text: v.title }), el('p', { class: 'muted', text: t('version', { label: v.label }) }), facts(v)];
  if (v.entry !== null && v.entry !== undefined) {
    nodes.push(el('p', {}, el('a', { href: '/api/receipt/' + v.entry, download: 'kvits-' + v.entry + '.txt', text: t('receipt_again') + ' (' + t('entry', { n: v.entry }) + ')' })));
  }
  return el('section', { class: 'card done', 'aria-label': v.title }, nodes);
}

function signCard(me, v) {
  const box = el('input', { type: 'checkbox', id: 'agree-' + v.sha256 });
  const notes = el('textarea', { rows: '3' });
  const button = el('button', { type: 'submit', class: 'primary', text: t('sign') });
  const form = el('form', { class: 'sign-form', novalidate: true },
    el('div', { class: 'statement' }, box, el('label', { for: box.id },
      el('span', { lang: 'lv', text: STATEMENT }), lang === 'en' ? ' ' + t('statement_en') : '')),
    field('notes-' + v.sha256, t('notes'), notes),
    button);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!box.checked) { notice(t('tick_first'), 'error'); box.focus(); return; }
    button.disabled = true;
    button.textContent = t('signing');
    await signVersion(me, v, notes.value);
    button.disabled = false;
    button.textContent = t('sign');
  });
  return el('section', { class: 'card open', 'aria-label': v.title },
    el('h2', { text: v.title }),
    el('p', { class: 'muted', text: t('version', { label: v.label }) }),
    facts(v),
    el('p', { text: t('read_doc') + ' ' }, el('a', { href: v.pdf, target: '_blank', rel: 'noopener', text: t('open_pdf') })),
    el('iframe', { class: 'doc-frame', src: v.pdf, title: t('doc_frame', { title: v.title }) }),
    form);
}

async function signVersion(me, v, notesText) {
  const record = await getKey(me.id).catch(() => null);
  if (!record || record.keyid !== me.keyid) { notice(t('err_signin'), 'error'); return; }
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
  if (!r.ok) { notice(errorText(r), 'error'); return; }
  notice('');
  const fresh = await api('GET', '/api/me');
  const data = fresh.ok ? fresh.data : me;
  const done = () => el('div', { class: 'message success', id: 'signed' },
    el('p', { text: t('signed_ok', { n: r.data.entry }) }),
    el('p', { text: t('receipt_help') }),
    el('p', {}, download(r.data.receipt, 'kvits-' + r.data.entry + '.txt', t('save_receipt'))),
    el('details', {}, el('summary', { text: t('show_receipt') }), el('pre', { id: 'receipt-text', class: 'receipt', tabindex: '0', text: r.data.receipt })));
  rerender = () => renderDesk(data, done());
  rerender();
  document.getElementById('save-receipt').focus();
}

// ---- Enrolment ----------------------------------------------------------

async function enrolView() {
  const token = location.hash.slice(1);
  history.replaceState(null, '', location.pathname);
  const info = token ? await api('POST', '/api/enrol/info', { token }) : { ok: false, status: 403, data: { error: 'link' } };
  if (!info.ok) return failView(info);
  rerender = () => renderEnrol(token, info.data);
  rerender();
  focusTitle();
}

function renderEnrol(token, info) {
  const button = el('button', { type: 'button', class: 'primary', text: t('enrol_button') });
  button.addEventListener('click', async () => {
    button.disabled = true;
    button.textContent = t('enrol_working');
    await enrol(token, info);
    button.disabled = false;
    button.textContent = t('enrol_button');
  });
  show(
    heading(t('enrol_h')),
    el('p', { class: 'lead', text: t('enrol_for', { name: info.name, id: info.id }) }),
    el('p', { text: t('enrol_p') }),
    info.replace ? el('p', { class: 'message', text: t('enrol_replace') }) : null,
    button,
  );
}

async function enrol(token, info) {
  let key;
  try { key = await makeKey(); } catch (e) { notice(t('no_webcrypto'), 'error'); return; }
  const sig = await signPae(key.privateKey, ENROL_TYPE, utf8(token));
  const r = await api('POST', '/api/enrol', { token, public_key: b64(key.publicRaw), signature: b64(sig) });
  if (!r.ok) { notice(errorText(r), 'error'); return; }
  await saveKey({ id: r.data.id, name: r.data.name, keyid: key.keyid, privateKey: key.privateKey, created: new Date().toISOString() });
  notice('');
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
  if (token) {
    history.replaceState(null, '', location.pathname);
    const s = await api('POST', '/api/admin/signin', { token });
    if (!s.ok && s.status !== 403) return failView(s);
  }
  await loadAdmin(null);
  focusTitle();
}

async function loadAdmin(after) {
  const r = await api('GET', '/api/admin/status');
  if (r.status === 401 || r.status === 403) {
    rerender = () => show(heading(t('admin_h')), el('p', { class: 'lead', text: t('admin_none') }));
    return rerender();
  }
  if (!r.ok) return failView(r);
  document.getElementById('signout').hidden = false;
  rerender = () => renderAdmin(r.data, after);
  rerender();
}

function renderAdmin(s, after) {
  show(
    heading(t('admin_h')),
    el('p', { class: 'muted', text: t('admin_log', { origin: s.origin, size: s.size, today: s.today }) }),
    after,
    el('h2', { text: t('versions_h') }),
    s.versions.length ? s.versions.map(versionBlock) : el('p', { text: t('no_versions') }),
    el('div', { class: 'panel-grid' }, issueForm(), leaveForm(s.employees)),
    el('h2', { text: t('employees_h') }),
    employeesTable(s.employees),
    el('h2', { text: t('downloads_h') }),
    downloads(s.versions),
  );
}

function versionBlock(v) {
  const count = (k) => v.lines.filter((l) => l.standing === k).length;
  const rows = v.lines.map((l) => [l.name + ' (' + l.id + ')', standingTag(l.standing), l.deadline, l.signed || '—', l.entry === null ? '—' : String(l.entry)]);
  return el('section', { class: 'card', 'aria-label': t('v_caption', { label: v.label, title: v.title }) },
    el('h3', { text: t('v_caption', { label: v.label, title: v.title }) }),
    el('ul', { class: 'facts' },
      el('li', { text: t('effective') + ': ' + v.effective }),
      el('li', { text: t('deadline') + ': ' + v.deadline })),
    el('p', { text: t('counts', { a: count('acknowledged'), l: count('late'), o: count('outstanding'), d: count('overdue'), g: count('left') }) }),
    rows.length ? table(t('v_table', { label: v.label }),
      [t('col_employee'), t('col_status'), t('col_deadline'), t('col_signed'), t('col_entry')], rows) : el('p', { text: t('nobody') }));
}

function issueForm() {
  const id = el('input', { type: 'text', autocomplete: 'off', required: true, spellcheck: 'false' });
  const name = el('input', { type: 'text', autocomplete: 'off', required: true });
  const position = el('input', { type: 'text', autocomplete: 'off' });
  const out = el('div', { id: 'issued', 'aria-live': 'polite' });
  const form = el('form', { id: 'issue-form', novalidate: true },
    field('issue-id', t('f_id'), id, t('f_id_hint')),
    field('issue-name', t('f_name'), name),
    field('issue-position', t('f_position'), position),
    el('button', { type: 'submit', class: 'primary', text: t('issue_button') }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = await api('POST', '/api/admin/enrolments', { id: id.value.trim(), name: name.value, position: position.value });
    if (!r.ok) { notice(errorText(r), 'error'); return; }
    notice('');
    out.replaceChildren(issuedLink(r.data));
    document.getElementById('issued-link').focus();
  });
  return el('section', { 'aria-labelledby': 'issue-h' },
    el('h2', { id: 'issue-h', text: t('issue_h') }), el('p', { text: t('issue_p') }), form, out);
}

function issuedLink(d) {
  const url = location.origin + d.link;
  const input = el('input', { type: 'text', readonly: true, class: 'wide', value: url });
  const copy = el('button', { type: 'button', class: 'secondary', text: t('copy') });
  copy.addEventListener('click', async () => {
    input.select();
    try { await navigator.clipboard.writeText(url); notice(t('copied'), 'success'); } catch (e) { /* selected for copying by hand */ }
  });
  return el('div', { class: 'message success' },
    el('p', { text: t('issued', { name: d.name, date: d.expires }) }),
    d.replace ? el('p', { text: t('issued_replace') }) : null,
    field('issued-link', t('link_label'), input),
    copy);
}

function leaveForm(employees) {
  const active = employees.filter((e) => !e.left);
  const select = el('select', { required: true }, active.map((e) => el('option', { value: e.id, text: e.name + ' (' + e.id + ')' })));
  const date = el('input', { type: 'date' });
  const form = el('form', { id: 'leave-form', novalidate: true },
    field('leave-id', t('f_employee'), select),
    field('leave-date', t('f_date'), date, t('f_date_hint')),
    el('button', { type: 'submit', class: 'secondary', text: t('leave_button'), disabled: active.length === 0 }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { id: select.value };
    if (date.value) body.date = date.value;
    const r = await api('POST', '/api/admin/leave', body);
    if (!r.ok) { notice(errorText(r), 'error'); return; }
    notice(t('left_ok', { n: r.data.entry }), 'success');
    loadAdmin(null);
  });
  return el('section', { 'aria-labelledby': 'leave-h' },
    el('h2', { id: 'leave-h', text: t('leave_h') }), active.length ? form : el('p', { text: t('nobody') }));
}

function employeesTable(employees) {
  if (!employees.length) return el('p', { text: t('nobody') });
  const rows = employees.map((e) => [e.id, e.name, e.position || '—', e.enrolled, e.left || '—']);
  return table(t('employees_h'), [t('col_id'), t('col_name'), t('col_position'), t('col_enrolled'), t('col_left')], rows);
}

function downloads(versions) {
  const items = [
    el('li', {}, el('a', { href: '/api/admin/download/entries', download: 'entries.jsonl', text: t('dl_entries') })),
    el('li', {}, el('a', { href: '/api/admin/download/checkpoint', download: 'checkpoint', text: t('dl_checkpoint') })),
  ];
  versions.forEach((v, i) => items.push(el('li', {}, el('a', {
    href: '/api/admin/download/annex/' + i, download: 'pielikums-' + (i + 1) + '.pdf', text: t('dl_annex', { label: v.label }),
  }))));
  return el('ul', {}, items);
}

// ---- Start --------------------------------------------------------------

async function signOut() {
  await api('POST', '/api/signout', {});
  location.assign('/');
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
  about();
  const path = location.pathname;
  if (path === '/admin') adminView();
  else if (path === '/enrol') enrolView();
  else deskView();
}

start();
