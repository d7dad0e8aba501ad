'use strict';
// The administration's staff import: the HR system's staff file uploaded,
// the changes it asks for shown as a table (or the bad rows beside the
// form), and on confirmation signed and written. The server decides every
// change (`ackreg_core::staff`, as `ackreg log staff`); this only shows.
// Loaded before app.js; uses its helpers (el, t, field, messageBox, say,
// day, errorWords, loadAdmin) when the section is built.

const STAFF_WORDS = {
  lv: {
    st_h: 'Darbinieku saraksts no personāla sistēmas',
    st_p: 'Augšupielādējiet visu pašreizējo darbinieku sarakstu (CSV UTF-8). Vispirms redzēsiet izmaiņas; reģistrā tās ieraksta tikai pēc apstiprināšanas.',
    st_file: 'Darbinieku saraksta fails (CSV)',
    st_file_hint: 'Kolonnas: identifikators, vārds, uzvārds, amats, struktūrvienības, sākuma datums un, ja ir, beigu datums.',
    st_preview: 'Parādīt izmaiņas',
    st_no_file: 'Izvēlieties failu.',
    st_refused: 'Fails nav pieņemts, un nekas nav mainīts. Izlabojiet šīs vietas izklājlapā un augšupielādējiet visu failu vēlreiz:',
    st_problem_cell: '{line}. rinda, kolonna „{column}”: ',
    st_problem_line: '{line}. rinda: ',
    st_more: 'un vēl {n}',
    st_too_large: 'Fails ir par lielu (vairāk nekā 10 MB). Pārbaudiet, vai tas ir darbinieku saraksta eksports.',
    st_not_utf8: 'Fails nav UTF-8 teksts ({line}. rinda). Izklājlapā saglabājiet to kā „CSV UTF-8 (Comma delimited)”.',
    st_empty: 'Fails ir tukšs.',
    st_no_rows: 'Failā ir tikai virsraksta rinda, bez darbiniekiem.',
    st_none: 'Reģistrs jau atbilst failam: nekas nav jāmaina.',
    st_table: 'Izmaiņas, ko prasa fails ({date})',
    st_summary: 'Pievienojas: {join}, maina struktūrvienību: {move}, maina vārdu vai amatu: {update}, aiziet: {leave}.',
    st_col_line: 'Rinda',
    st_col_change: 'Izmaiņa',
    st_col_who: 'Darbinieks',
    st_col_what: 'Kas mainās',
    st_col_date: 'No datuma',
    st_join: 'Pievienojas',
    st_move: 'Maina struktūrvienību',
    st_update: 'Maina vārdu vai amatu',
    st_leave: 'Aiziet',
    st_no_unit: 'bez struktūrvienības',
    st_no_position: 'bez amata',
    st_end_date: 'beigu datums failā',
    st_not_in_file: 'nav failā',
    st_confirm: 'Apstiprināt un ierakstīt reģistrā',
    st_changed: 'Kopš priekšskatījuma reģistrs ir mainījies. Tagad fails prasa šīs izmaiņas: pārbaudiet tās un apstipriniet vēlreiz.',
    st_done: 'Izmaiņas ierakstītas reģistrā (izmaiņu skaits: {n}).',
    st_sign_failed: 'Izmaiņas netika ierakstītas.',
    st_need_admin: 'Izmaiņas apstiprina un paraksta administrators ar savu atslēgu. Pierakstieties kā administrators un apstipriniet vēlreiz; nekas nav ierakstīts.',
  },
  en: {
    st_h: 'Staff list from the HR system',
    st_p: 'Upload the whole current staff list (CSV UTF-8). You see the changes first; they are written to the register only once you confirm.',
    st_file: 'Staff list file (CSV)',
    st_file_hint: 'Columns: id, name, position, units, start and, if any, end.',
    st_preview: 'Show the changes',
    st_no_file: 'Choose a file.',
    st_refused: 'The file was not accepted, and nothing was changed. Correct these cells in the spreadsheet and upload the whole file again:',
    st_problem_cell: 'line {line}, column "{column}": ',
    st_problem_line: 'line {line}: ',
    st_more: 'and {n} more',
    st_too_large: 'The file is too large (over 10 MB). Check that it is the export of the staff list.',
    st_not_utf8: 'The file is not UTF-8 text (line {line}). Save it from the spreadsheet as "CSV UTF-8 (Comma delimited)".',
    st_empty: 'The file is empty.',
    st_no_rows: 'The file has a header row and no employees.',
    st_none: 'The register already says what the file says: nothing to change.',
    st_table: 'Changes the file asks for ({date})',
    st_summary: 'Joining: {join}, changing unit: {move}, changing name or position: {update}, leaving: {leave}.',
    st_col_line: 'Line',
    st_col_change: 'Change',
    st_col_who: 'Employee',
    st_col_what: 'What changes',
    st_col_date: 'From',
    st_join: 'Joins',
    st_move: 'Changes unit',
    st_update: 'Changes name or position',
    st_leave: 'Leaves',
    st_no_unit: 'no unit',
    st_no_position: 'no position',
    st_end_date: 'end date in the file',
    st_not_in_file: 'not in the file',
    st_confirm: 'Confirm and write to the register',
    st_changed: 'The register changed since the preview. The file now asks for these changes: check them and confirm again.',
    st_done: 'The changes are written to the register ({n} changes).',
    st_sign_failed: 'The changes were not written.',
    st_need_admin: 'An administrator confirms and signs the changes with their own key. Sign in as an administrator and confirm again; nothing was written.',
  },
};

function staffWords() {
  if (T.lv.st_h) return;
  Object.assign(T.lv, STAFF_WORDS.lv);
  Object.assign(T.en, STAFF_WORDS.en);
}

// POSTs the file's bytes as CSV; {ok, status, data} as api() gives.
async function staffUpload(path, bytes) {
  let response;
  try {
    response = await fetch(path, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'text/csv' }, body: bytes,
    });
  } catch (e) {
    return { ok: false, status: 0, data: { error: 'network' } };
  }
  let data = {};
  try { data = await response.json(); } catch (e) { data = {}; }
  return { ok: response.ok, status: response.status, data };
}

// A refused file beside the form: every bad row by line and column.
function staffRefusal(box, r) {
  const d = r.data;
  if (d.error !== 'staff_file') {
    if (r.status === 413) return say(box, t('st_too_large'));
    return say(box, errorWords(r));
  }
  const simple = { too_large: 'st_too_large', not_utf8: 'st_not_utf8', empty: 'st_empty', no_rows: 'st_no_rows' };
  if (simple[d.kind]) return say(box, t(simple[d.kind], { line: d.line }));
  const items = (d.problems || []).map((p) => el('li', {},
    p.column ? t('st_problem_cell', { line: p.line, column: p.column }) : t('st_problem_line', { line: p.line }),
    el('span', { lang: 'en', text: p.why })));
  if (d.more) items.push(el('li', { text: t('st_more', { n: d.more }) }));
  box.replaceChildren(el('div', { class: 'message error' },
    el('p', { text: t('st_refused') }), el('ul', { id: 'staff-problems' }, items)));
  if (box.scrollIntoView) box.scrollIntoView({ block: 'nearest' });
}

const staffUnits = (units) => units.length ? units.join(', ') : t('st_no_unit');

// One change's row: line, change, who, what, date.
function staffRow(c) {
  const kinds = { join: 'st_join', move: 'st_move', update: 'st_update', leave: 'st_leave' };
  let what = '';
  if (c.kind === 'join') what = staffUnits(c.units) + (c.position ? '; ' + c.position : '');
  else if (c.kind === 'move') what = staffUnits(c.was_units) + ' → ' + staffUnits(c.units);
  else if (c.kind === 'update') {
    const parts = [];
    if (c.name !== c.was_name) parts.push(c.was_name + ' → ' + c.name);
    if (c.position !== c.was_position) parts.push((c.was_position || t('st_no_position')) + ' → ' + (c.position || t('st_no_position')));
    what = parts.join('; ');
  } else if (c.kind === 'leave') what = t(c.reason === 'end_date' ? 'st_end_date' : 'st_not_in_file');
  const line = c.line === null || c.line === undefined ? '—' : String(c.line);
  const who = (c.kind === 'update' ? c.was_name : c.name) + ' (' + c.id + ')';
  return [line, t(kinds[c.kind]), who, what, day(c.date)];
}

function staffPreview(out, p, bytes, box) {
  if (!p.changes.length) {
    out.replaceChildren();
    return say(box, t('st_none'), 'success');
  }
  const confirm = el('button', { type: 'button', class: 'primary', id: 'staff-confirm', text: t('st_confirm') });
  const done = messageBox('staff-done');
  confirm.addEventListener('click', async () => {
    confirm.disabled = true;
    say(done, null);
    const r = await staffUpload('/api/admin/staff/confirm?plan=' + p.plan, bytes);
    confirm.disabled = false;
    if (r.status === 409 && r.data.preview) {
      staffPreview(out, r.data.preview, bytes, box);
      return say(document.getElementById('staff-done'), t('st_changed'));
    }
    if (r.status === 403 && r.data.error === 'forbidden') return say(done, t('st_need_admin'));
    if (!r.ok) return r.data.error === 'staff_file' ? staffRefusal(done, r) : say(done, errorWords(r));
    if (typeof signAndCommit !== 'function') return say(done, t('st_sign_failed'));
    const c = await signAndCommit(r.data);
    if (!c.ok) return say(done, errorWords(c));
    // The page again, with the people as they are now, and the words.
    await loadAdmin(null, { box: 'staff-message', words: t('st_done', { n: p.changes.length }) });
    const kept = document.getElementById('staff-message');
    if (kept) kept.scrollIntoView({ block: 'center' });
  });
  out.replaceChildren(
    el('p', { id: 'staff-summary', text: t('st_summary', p.counts) }),
    table(t('st_table', { date: day(p.date) }),
      [t('st_col_line'), t('st_col_change'), t('st_col_who'), t('st_col_what'), t('st_col_date')],
      p.changes.map(staffRow)),
    done, confirm);
}

// The section for renderAdmin.
function staffSection() {
  staffWords();
  const input = el('input', { type: 'file', accept: '.csv,text/csv', required: true });
  const box = messageBox('staff-message');
  const out = el('div', { id: 'staff-preview', 'aria-live': 'polite' });
  const form = el('form', { id: 'staff-form', novalidate: true },
    field('staff-file', t('st_file'), input, t('st_file_hint')),
    box,
    el('button', { type: 'submit', class: 'primary', text: t('st_preview') }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    say(box, null);
    out.replaceChildren();
    input.removeAttribute('aria-invalid');
    const file = input.files[0];
    if (!file) { input.setAttribute('aria-invalid', 'true'); input.focus(); return say(box, t('st_no_file')); }
    const bytes = await file.arrayBuffer();
    const r = await staffUpload('/api/admin/staff/preview', bytes);
    if (!r.ok) { input.setAttribute('aria-invalid', 'true'); return staffRefusal(box, r); }
    staffPreview(out, r.data, bytes, box);
  });
  return el('section', { id: 'staff', 'aria-labelledby': 'staff-h' },
    el('h2', { id: 'staff-h', text: t('st_h') }),
    el('p', { class: 'muted', text: t('st_p') }),
    form, out);
}
