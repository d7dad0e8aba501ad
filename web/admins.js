'use strict';
// Named administrators (log format 0.4), on the administration's page.
//
// An administrator's key is made and kept in this browser, as an
// employee's is (WebCrypto Ed25519, not extractable), in the same
// IndexedDB store under 'admin/' + their identifier. Every change they
// ask for comes back from the server as request(s) to sign; the page signs
// each with their key and commits them (`signAndCommit`): the log keeps
// the signed request beside the entries, and the audit checks it.
//
// Loaded after app.js (both deferred; app.js starts on DOMContentLoaded).

const ADMIN_ENROL_TYPE = 'application/vnd.ackreg.desk-admin-enrol';

Object.assign(T.lv, {
  adm_me: 'Administrators: {name} ({id}). Izmaiņas reģistrā tiek parakstītas ar jūsu atslēgu.',
  adm_first_h: 'Administratora atslēga',
  adm_first_p: 'Šī sesija ir atvērta ar vienreizējo saiti. Lai pieprasītu izmaiņas reģistrā, izveidojiet savu administratora atslēgu: tā tiks glabāta šajā pārlūkā, un katru jūsu pieprasījumu reģistrā parakstīs tā. Ja esat jau reģistrēts administrators, kurš zaudējis atslēgu, norādiet savu identifikatoru: jaunā atslēga aizstās veco.',
  f_admin_id: 'Administratora identifikators',
  f_admin_id_hint: 'Piemēram, ivarna. Tikai mazie latīņu burti (a–z), cipari, punkts, pasvītra un defise.',
  f_full_name: 'Vārds un uzvārds',
  f_day_hint: 'Formā DD.MM.GGGG., piemēram, 31.12.2026. Tukšs: šodien.',
  adm_make_button: 'Izveidot atslēgu',
  admin_made_ok: 'Jūsu administratora atslēga ir izveidota un reģistrēta (ieraksts Nr. {n}).',
  adm_making: 'Veido atslēgu…',
  adm_signin_h: 'Administrācijas pieteikšanās',
  adm_signin_p: 'Ievadiet sava administratora atslēgas PIN.',
  adm_signin_for: 'Administrators: {name} ({id})',
  adm_choose_p: 'Šajā pārlūkā ir vairāku administratoru atslēgas. Izvēlieties savu.',
  admins_h: 'Administratori',
  col_from: 'No',
  col_until: 'Līdz',
  col_requests: 'Pieprasījumi',
  col_key: 'Atslēga',
  adm_pending_h: 'Gaida apstiprinājumu',
  adm_pending_row: '{name} ({id}), uzaicināja {by}, atslēga {keyid}…',
  adm_confirm_button: 'Apstiprināt',
  adm_confirmed: 'Reģistrēts jauns administrators: {name} (ieraksts Nr. {n}).',
  invite_h: 'Uzaicināt administratoru',
  invite_p: 'Uzaicinātais atver saiti savā datorā un izveido savu atslēgu. Pēc tam kāds administrators to apstiprina šajā lapā.',
  invite_button: 'Izveidot uzaicinājuma saiti',
  invited: 'Uzaicinājuma saite personai {name} derīga līdz {date}. Nododiet to tikai šai personai.',
  dismiss_h: 'Administratora tiesību beigas',
  f_admin: 'Administrators',
  dismiss_button: 'Beigt tiesības',
  dismissed_ok: 'Administratora tiesības beigušās (ieraksts Nr. {n}). Viņa iepriekšējie pieprasījumi paliek spēkā.',
  requests_h: 'Kas ko pieprasīja',
  col_date: 'Datums',
  col_admin: 'Administrators',
  col_action: 'Pieprasījums',
  col_entries: 'Ieraksti',
  no_requests: 'Administratoru pieprasījumu vēl nav.',
  revoke_h: 'Pazaudēta vai nozagta atslēga',
  revoke_p: 'Atsauciet darbinieka atslēgu no dienas, kad tā pazuda: ar to parakstītus apliecinājumus no šīs dienas reģistrs vairs nepieņems. Pēc tam izsniedziet jaunu reģistrācijas saiti.',
  revoke_button: 'Atsaukt atslēgu',
  revoke_link: 'Uzreiz izsniegt jaunu reģistrācijas saiti',
  revoked_ok: 'Atslēga atsaukta (ieraksts Nr. {n}).',
  move_h: 'Pārcelšana uz citu struktūrvienību',
  f_units: 'Struktūrvienības no šīs dienas',
  no_units: 'Reģistrā nav struktūrvienību.',
  move_button: 'Reģistrēt pārcelšanu',
  moved_ok: 'Pārcelšana reģistrēta (ieraksts Nr. {n}).',
  err_request_signature: 'Pieprasījums nav parakstīts ar jūsu administratora atslēgu. Nekas netika ierakstīts.',
  err_plan: 'Šis pieprasījums vairs negaida parakstu. Mēģiniet vēlreiz.',
  err_no_admin_key: 'Šajā pārlūkā nav jūsu administratora atslēgas. Piesakieties no datora, kurā to izveidojāt.',
  join_h: 'Administratora atslēgas izveide',
  join_for: '{name} ({id}); uzaicināja {by}.',
  join_p: 'Izvēlieties PIN. Atslēga tiks izveidota un glabāta šajā pārlūkā; to nevar nokopēt. Pēc tam kāds administrators to apstiprinās.',
  join_ok: 'Atslēga izveidota. Kad administrators to apstiprinās, piesakieties administrācijas lapā.',
  join_go: 'Uz administrācijas lapu',
});

Object.assign(T.en, {
  adm_me: 'Administrator: {name} ({id}). Changes to the register are signed with your key.',
  adm_first_h: 'Administrator\'s key',
  adm_first_p: 'This session was opened with a one-time link. To ask for changes to the register, make your administrator\'s key: it is kept in this browser and signs each of your requests in the register. If you are an administrator already who lost their key, give your identifier: the new key replaces the old one.',
  f_admin_id: 'Administrator\'s identifier',
  f_admin_id_hint: 'For example ivarna. Only lowercase letters (a–z), digits, dot, underscore and hyphen.',
  f_full_name: 'Full name',
  f_day_hint: 'As DD.MM.YYYY or YYYY-MM-DD, e.g. 2026-12-31. Empty: today.',
  adm_make_button: 'Make the key',
  admin_made_ok: 'Your administrator\'s key is made and registered (entry no. {n}).',
  adm_making: 'Making the key…',
  adm_signin_h: 'Administration sign-in',
  adm_signin_p: 'Enter the PIN of your administrator\'s key.',
  adm_signin_for: 'Administrator: {name} ({id})',
  adm_choose_p: 'This browser holds several administrators\' keys. Choose yours.',
  admins_h: 'Administrators',
  col_from: 'From',
  col_until: 'Until',
  col_requests: 'Requests',
  col_key: 'Key',
  adm_pending_h: 'Waiting for confirmation',
  adm_pending_row: '{name} ({id}), invited by {by}, key {keyid}…',
  adm_confirm_button: 'Confirm',
  adm_confirmed: 'New administrator registered: {name} (entry no. {n}).',
  invite_h: 'Invite an administrator',
  invite_p: 'The person invited opens the link on their computer and makes their key. Then an administrator confirms it on this page.',
  invite_button: 'Make an invitation link',
  invited: 'Invitation link for {name}, valid until {date}. Give it to this person only.',
  dismiss_h: 'End an administrator\'s role',
  f_admin: 'Administrator',
  dismiss_button: 'End the role',
  dismissed_ok: 'The administrator\'s role ended (entry no. {n}). Their earlier requests stay valid.',
  requests_h: 'Who asked for what',
  col_date: 'Date',
  col_admin: 'Administrator',
  col_action: 'Request',
  col_entries: 'Entries',
  no_requests: 'No administrator\'s requests yet.',
  revoke_h: 'Lost or stolen key',
  revoke_p: 'Revoke the employee\'s key from the day it was lost: from that day the register no longer accepts acknowledgements signed with it. Then issue a new enrolment link.',
  revoke_button: 'Revoke the key',
  revoke_link: 'Issue a new enrolment link at once',
  revoked_ok: 'Key revoked (entry no. {n}).',
  move_h: 'Move to another unit',
  f_units: 'Units from that day',
  no_units: 'The register has no units.',
  move_button: 'Record the move',
  moved_ok: 'Move recorded (entry no. {n}).',
  err_request_signature: 'The request is not signed by your administrator\'s key. Nothing was written.',
  err_plan: 'This request no longer waits for a signature. Try again.',
  err_no_admin_key: 'This browser does not hold your administrator\'s key. Sign in from the computer where you made it.',
  join_h: 'Making an administrator\'s key',
  join_for: '{name} ({id}); invited by {by}.',
  join_p: 'Choose a PIN. The key is made and kept in this browser; it cannot be copied. Then an administrator confirms it.',
  join_ok: 'The key is made. Once an administrator confirms it, sign in on the administration page.',
  join_go: 'To the administration page',
});

// The named administrator signed in, or null (the one-time link's session).
let adminMe = null;

const adminRecordId = (id) => 'admin/' + id;

async function listAdminKeys() {
  const keys = await listKeys().catch(() => []);
  return keys.filter((k) => k.role === 'admin');
}

function fromB64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

// Signs each request of an offer with the signed-in administrator's key
// and commits them; the server's answer.
async function signAndCommit(offer) {
  if (!adminMe) return { ok: false, status: 403, data: { error: 'forbidden' } };
  const record = await getKey(adminRecordId(adminMe.id)).catch(() => null);
  if (!record) return { ok: false, status: 403, data: { error: 'no_admin_key' } };
  const signatures = [];
  for (const r of offer.requests) {
    signatures.push(b64(await signPae(record.privateKey, r.payloadType, fromB64(r.payload))));
  }
  return api('POST', '/api/admin/commit', { plan: offer.plan, signatures });
}

// Asks for a change: the route's offer, signed and committed.
async function askAndCommit(path, body) {
  const o = await api('POST', path, body);
  if (!o.ok) return o;
  return signAndCommit(o.data);
}

function adminErrorWords(r) {
  const own = { request_signature: 'err_request_signature', plan: 'err_plan', no_admin_key: 'err_no_admin_key' };
  if (own[r.data.error]) return { text: t(own[r.data.error]) };
  return errorWords(r);
}

// ---- Signing in with an administrator's key ------------------------------

function adminKeyView(keys, refusal, chosen) {
  const record = chosen || (keys.length === 1 ? keys[0] : null);
  rerender = () => {
    const box = messageBox('admin-message');
    if (!record) {
      show(heading(t('adm_signin_h')), box, el('p', { text: t('adm_choose_p') }),
        el('ul', { class: 'choose-list' }, keys.map((k) => el('li', {}, el('button', {
          type: 'button', class: 'secondary', text: k.name + ' (' + k.adminId + ')',
          onclick: () => adminKeyView(keys, null, k),
        })))));
    } else {
      const pin = el('input', { type: 'password', inputmode: 'numeric', autocomplete: 'off', maxlength: '8', required: true });
      const button = el('button', { type: 'submit', class: 'primary', text: t('signin_button') });
      const form = el('form', { id: 'admin-pin-form', novalidate: true },
        field('admin-pin', t('f_pin'), pin, t('f_pin_hint')), box, button);
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const problem = pinProblem(pin.value, pin.value);
        if (problem) { pin.setAttribute('aria-invalid', 'true'); pin.focus(); say(box, t(problem)); return; }
        button.disabled = true;
        const c = await api('POST', '/api/challenge', {});
        let r = c;
        if (c.ok) {
          const sig = await signPae(record.privateKey, SIGNIN_TYPE, utf8(c.data.challenge));
          r = await api('POST', '/api/admin/signin-key', { keyid: record.keyid, challenge: c.data.challenge, signature: b64(sig), pin: pin.value });
        }
        button.disabled = false;
        if (r.ok) { await loadAdmin(); focusTitle(); return; }
        pin.value = '';
        pin.setAttribute('aria-invalid', 'true');
        pin.focus();
        say(box, errorWords(r, 'signin'));
      });
      show(heading(t('adm_signin_h')),
        el('p', { class: 'lead', id: 'admin-pin-who', text: t('adm_signin_for', { name: record.name, id: record.adminId }) }),
        el('p', { text: t('adm_signin_p') }), form);
    }
    if (refusal) say(box, errorWords(refusal, 'admin'));
  };
  rerender();
  focusTitle();
}

// ---- The one-time link's session: make an administrator's key -------------

function firstAdminForm() {
  const id = el('input', { type: 'text', autocomplete: 'off', required: true, spellcheck: 'false' });
  const name = el('input', { type: 'text', autocomplete: 'name', required: true });
  const pin = el('input', { type: 'password', inputmode: 'numeric', autocomplete: 'new-password', maxlength: '8', required: true });
  const again = el('input', { type: 'password', inputmode: 'numeric', autocomplete: 'new-password', maxlength: '8', required: true });
  const box = messageBox('first-admin-message');
  const button = el('button', { type: 'submit', class: 'primary', text: t('adm_make_button') });
  const form = el('form', { id: 'first-admin-form', novalidate: true },
    field('first-admin-id', t('f_admin_id'), id, t('f_admin_id_hint')),
    field('first-admin-name', t('f_full_name'), name),
    field('first-admin-pin', t('f_pin'), pin, t('f_pin_hint')),
    field('first-admin-pin-again', t('f_pin_again'), again),
    box, button);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const problem = pinProblem(pin.value, again.value);
    if (problem) { pin.setAttribute('aria-invalid', 'true'); pin.focus(); say(box, t(problem)); return; }
    button.disabled = true;
    button.textContent = t('adm_making');
    const r = await makeAdminKey(id.value.trim(), name.value, pin.value);
    button.disabled = false;
    button.textContent = t('adm_make_button');
    if (!r.ok) {
      const words = adminErrorWords(r);
      markField({ id, name }, words);
      say(box, words);
      return;
    }
    await loadAdmin(null, { adminMade: r.data.entry });
    focusTitle();
  });
  return el('section', { 'aria-labelledby': 'first-admin-h', id: 'first-admin-section', class: 'panel' },
    el('h2', { id: 'first-admin-h', text: t('adm_first_h') }), el('p', { text: t('adm_first_p') }), form);
}

async function makeAdminKey(id, name, pin) {
  let key;
  try { key = await makeKey(); } catch (e) { return { ok: false, status: 0, data: { error: 'webcrypto' } }; }
  const c = await api('POST', '/api/challenge', {});
  if (!c.ok) return c;
  const sig = await signPae(key.privateKey, ADMIN_ENROL_TYPE, utf8(c.data.challenge));
  const r = await api('POST', '/api/admin/enrol-key', {
    id, name, public_key: b64(key.publicRaw), challenge: c.data.challenge, signature: b64(sig), pin,
  });
  if (r.ok) await saveAdminKey(r.data.id, r.data.name, key);
  return r;
}

function saveAdminKey(id, name, key) {
  return saveKey({ id: adminRecordId(id), role: 'admin', adminId: id, name, keyid: key.keyid, privateKey: key.privateKey, created: new Date().toISOString() });
}

// ---- The sections of the administration's page -----------------------------

// Placed by renderAdmin: who is signed in (or the form to make a key), and
// for a named administrator the forms that ask for signed changes.
function adminsTop(a, after) {
  if (!a) return null;
  if (!a.me) return firstAdminForm();
  const nodes = [el('p', { class: 'lead', id: 'admin-me', text: t('adm_me', { name: a.me.name, id: a.me.id }) })];
  if (after && after.adminMade !== undefined) nodes.push(el('div', { class: 'message success', id: 'admin-made' }, el('p', { text: t('admin_made_ok', { n: after.adminMade }) })));
  return nodes;
}

function keysPanels(s, a) {
  if (!a || !a.me) return null;
  return [revokeForm(s.employees), moveForm(s.employees, s.units || [])];
}

function adminsSection(s, a) {
  if (!a) return null;
  const rows = a.admins.map((r) => [r.id, r.name, day(r.from), r.until ? day(r.until) : '—', r.keyid.slice(0, 16) + '…', String(r.requests)]);
  const nodes = [el('h2', { id: 'admins-h', text: t('admins_h') })];
  nodes.push(rows.length ? table(t('admins_h'), [t('col_id'), t('col_name'), t('col_from'), t('col_until'), t('col_key'), t('col_requests')], rows) : el('p', { text: t('nobody') }));
  if (a.me) {
    if (a.pending.length) nodes.push(pendingList(a.pending));
    nodes.push(el('div', { class: 'panel-grid' }, inviteForm(), dismissForm(a.admins)));
  }
  nodes.push(el('h2', { id: 'requests-h', text: t('requests_h') }));
  nodes.push(a.requests.length ? requestsTable(a.requests) : el('p', { text: t('no_requests') }));
  return nodes;
}

function requestsTable(requests) {
  const rows = requests.map((r) => [day(r.date), r.name + ' (' + r.admin + ')', r.action,
    r.count === 1 ? String(r.first) : r.first + '–' + r.last]);
  return table(t('requests_h'), [t('col_date'), t('col_admin'), t('col_action'), t('col_entries')], rows);
}

function pendingList(pending) {
  const box = messageBox('pending-message');
  const items = pending.map((p) => el('li', {},
    el('span', { text: t('adm_pending_row', { name: p.name, id: p.id, by: p.by, keyid: p.keyid.slice(0, 16) }) }), ' ',
    el('button', {
      type: 'button', class: 'primary', id: 'confirm-' + p.id, text: t('adm_confirm_button'),
      onclick: async (ev) => {
        ev.target.disabled = true;
        const r = await askAndCommit('/api/admin/admins/confirm', { id: p.id });
        ev.target.disabled = false;
        if (!r.ok) { say(box, adminErrorWords(r)); return; }
        await loadAdmin(null, { confirmed: { name: p.name, n: r.data.entries[0] } });
      },
    })));
  return el('section', { 'aria-labelledby': 'pending-h', id: 'pending-section' },
    el('h3', { id: 'pending-h', text: t('adm_pending_h') }), el('ul', {}, items), box);
}

function inviteForm() {
  const id = el('input', { type: 'text', autocomplete: 'off', required: true, spellcheck: 'false' });
  const name = el('input', { type: 'text', autocomplete: 'off', required: true });
  const box = messageBox('invite-message');
  const out = el('div', { id: 'invited', 'aria-live': 'polite' });
  const form = el('form', { id: 'invite-form', novalidate: true },
    field('invite-id', t('f_admin_id'), id, t('f_admin_id_hint')),
    field('invite-name', t('f_full_name'), name),
    box,
    el('button', { type: 'submit', class: 'secondary', text: t('invite_button') }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = await api('POST', '/api/admin/invite', { id: id.value.trim(), name: name.value });
    if (!r.ok) { const w = adminErrorWords(r); markField({ id, name }, w); say(box, w); return; }
    say(box, null);
    markField({ id, name }, null);
    const url = location.origin + r.data.link;
    const input = el('input', { type: 'text', readonly: true, class: 'wide', value: url });
    out.replaceChildren(el('div', { class: 'message success' },
      el('p', { id: 'invited-text', text: t('invited', { name: r.data.name, date: day(r.data.expires) }) }),
      field('invited-link', t('link_label'), input)));
    input.focus();
  });
  return el('section', { 'aria-labelledby': 'invite-h', id: 'invite-section' },
    el('h3', { id: 'invite-h', text: t('invite_h') }), el('p', { text: t('invite_p') }), form, out);
}

function dismissForm(admins) {
  const serving = admins.filter((r) => !r.until);
  const select = el('select', { required: true }, serving.map((r) => el('option', { value: r.id, text: r.name + ' (' + r.id + ')' })));
  const date = dateInput();
  const box = messageBox('dismiss-message');
  const form = el('form', { id: 'dismiss-form', novalidate: true },
    field('dismiss-id', t('f_admin'), select),
    field('dismiss-date', t('f_date'), date, t('f_day_hint')),
    el('button', { type: 'submit', class: 'secondary', text: t('dismiss_button') }));
  form.addEventListener('submit', (ev) => submitAsk(ev, '/api/admin/admins/dismiss', { id: select.value }, date, { id: select, date }, box, 'dismissed_ok'));
  return el('section', { 'aria-labelledby': 'dismiss-h', id: 'dismiss-section' },
    el('h3', { id: 'dismiss-h', text: t('dismiss_h') }), form, box);
}

// A text field for a date written the Latvian way (see leaveForm).
function dateInput() {
  return el('input', { type: 'text', inputmode: 'numeric', autocomplete: 'off', spellcheck: 'false' });
}

// Sends an asked change from a form: the date field read the Latvian way,
// the offer signed and committed, the page loaded again with `done`'s words.
async function submitAsk(ev, path, body, date, inputs, box, done, then) {
  ev.preventDefault();
  const iso = isoDate(date.value);
  if (iso === null) {
    const words = { text: t('err_field_date'), field: 'date' };
    markField(inputs, words);
    say(box, words);
    return;
  }
  if (iso) body.date = iso;
  const button = ev.target.querySelector('button[type=submit]');
  if (button) button.disabled = true;
  const r = await askAndCommit(path, body);
  if (button) button.disabled = false;
  if (!r.ok) { const w = adminErrorWords(r); markField(inputs, w); say(box, w); return; }
  const extra = then ? await then(r) : null;
  await loadAdmin(null, { box: box.id, words: t(done, { n: r.data.entries[0] }), extra });
  const kept = document.getElementById(box.id);
  if (kept) kept.scrollIntoView({ block: 'center' });
}

function revokeForm(employees) {
  const keyed = employees.filter((e) => !e.left && e.keyid);
  const select = el('select', { required: true }, keyed.map((e) => el('option', { value: e.id, text: e.name + ' (' + e.id + ')' })));
  const date = dateInput();
  const link = el('input', { type: 'checkbox', id: 'revoke-link', checked: true });
  const box = messageBox('revoke-message');
  const form = el('form', { id: 'revoke-form', novalidate: true },
    field('revoke-id', t('f_employee'), select),
    field('revoke-date', t('f_date'), date, t('f_day_hint')),
    el('div', { class: 'field check' }, link, el('label', { for: 'revoke-link', text: t('revoke_link') })),
    el('button', { type: 'submit', class: 'secondary', text: t('revoke_button'), disabled: keyed.length === 0 }));
  form.addEventListener('submit', (ev) => {
    const who = keyed.find((e) => e.id === select.value);
    const issue = link.checked && who ? async () => api('POST', '/api/admin/enrolments', { id: who.id, name: who.name }) : null;
    return submitAsk(ev, '/api/admin/ask/revoke', { id: select.value }, date, { id: select, date }, box, 'revoked_ok', issue);
  });
  return el('section', { 'aria-labelledby': 'revoke-h', id: 'revoke-section' },
    el('h2', { id: 'revoke-h', text: t('revoke_h') }), el('p', { text: t('revoke_p') }),
    keyed.length ? form : el('p', { text: t('nobody') }), box);
}

function moveForm(employees, units) {
  const active = employees.filter((e) => !e.left);
  const select = el('select', { required: true }, active.map((e) => el('option', { value: e.id, text: e.name + ' (' + e.id + ')' })));
  const date = dateInput();
  const boxes = units.map((u) => el('input', { type: 'checkbox', id: 'move-unit-' + u.id, value: u.id }));
  const fieldset = el('fieldset', { id: 'move-units' }, el('legend', { text: t('f_units') }),
    units.length ? units.map((u, i) => el('div', { class: 'check' }, boxes[i], el('label', { for: 'move-unit-' + u.id, text: u.name + ' (' + u.id + ')' }))) : el('p', { text: t('no_units') }));
  const box = messageBox('move-message');
  const form = el('form', { id: 'move-form', novalidate: true },
    field('move-id', t('f_employee'), select),
    fieldset,
    field('move-date', t('f_date'), date, t('f_day_hint')),
    el('button', { type: 'submit', class: 'secondary', text: t('move_button'), disabled: active.length === 0 }));
  form.addEventListener('submit', (ev) => {
    const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
    return submitAsk(ev, '/api/admin/ask/move', { id: select.value, units: chosen }, date, { id: select, date }, box, 'moved_ok');
  });
  return el('section', { 'aria-labelledby': 'move-h', id: 'move-section' },
    el('h2', { id: 'move-h', text: t('move_h') }), active.length ? form : el('p', { text: t('nobody') }), box);
}

// After a reload of the page: the message of what was just done, in its
// form's box, and a replacement link when one was issued.
function showAfter(after) {
  if (!after) return;
  if (after.confirmed) {
    const box = document.getElementById('pending-message') || document.getElementById('admin-me');
    const node = el('div', { class: 'message success', id: 'confirmed' }, el('p', { text: t('adm_confirmed', after.confirmed) }));
    if (box) box.after(node);
  }
  if (after.box && after.words) {
    const box = document.getElementById(after.box);
    if (box) say(box, after.words, 'success');
    if (box && after.extra && after.extra.ok) box.append(issuedLink(after.extra.data));
  }
}

// ---- The invitation's page: /admin/join#TOKEN -----------------------------

async function joinView() {
  const token = location.hash.slice(1);
  history.replaceState(null, '', location.pathname);
  const info = token ? await api('POST', '/api/admin/join/info', { token }) : { ok: false, status: 403, data: { error: 'link' } };
  if (!info.ok) return failView(info);
  rerender = () => {
    const pin = el('input', { type: 'password', inputmode: 'numeric', autocomplete: 'new-password', maxlength: '8', required: true });
    const again = el('input', { type: 'password', inputmode: 'numeric', autocomplete: 'new-password', maxlength: '8', required: true });
    const box = messageBox('join-message');
    const button = el('button', { type: 'submit', class: 'primary', text: t('adm_make_button') });
    const form = el('form', { id: 'join-form', novalidate: true },
      field('join-pin', t('f_pin'), pin, t('f_pin_hint')),
      field('join-pin-again', t('f_pin_again'), again),
      box, button);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const problem = pinProblem(pin.value, again.value);
      if (problem) { pin.setAttribute('aria-invalid', 'true'); pin.focus(); say(box, t(problem)); return; }
      button.disabled = true;
      button.textContent = t('adm_making');
      let key;
      try { key = await makeKey(); } catch (e) { say(box, t('no_webcrypto')); button.disabled = false; return; }
      const sig = await signPae(key.privateKey, ADMIN_ENROL_TYPE, utf8(token));
      const r = await api('POST', '/api/admin/join', { token, public_key: b64(key.publicRaw), signature: b64(sig), pin: pin.value });
      button.disabled = false;
      button.textContent = t('adm_make_button');
      if (!r.ok) { say(box, errorWords(r)); return; }
      await saveAdminKey(r.data.id, r.data.name, key);
      rerender = () => show(heading(t('join_h')),
        el('div', { class: 'message success', id: 'joined' }, el('p', { text: t('join_ok') })),
        el('a', { href: '/admin', class: 'button', id: 'go-admin', text: t('join_go') }));
      rerender();
      document.getElementById('go-admin').focus();
    });
    show(heading(t('join_h')),
      el('p', { class: 'lead', text: t('join_for', { name: info.data.name, id: info.data.id, by: info.data.by }) }),
      el('p', { text: t('join_p') }), form);
  };
  rerender();
  focusTitle();
}
