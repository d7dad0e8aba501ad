// ackreg desk: the administration page's section "Publicēt jaunu versiju"
// (publish a new version). Upload a PDF made elsewhere, or render a
// template (one the desk knows, or one uploaded as a ZIP); see the PDF and
// what changed against the document's previous version; fill in the
// version's particulars and publish. Every check is the server's; this
// script only shows. It uses app.js's helpers (el, t, field, api, day,
// isoDate, say, messageBox, errorWords, markField, changesList), which
// share the page's global scope.

'use strict';

Object.assign(T.lv, {
  pub_h: 'Publicēt jaunu versiju',
  pub_p: 'Augšupielādējiet citur sagatavotu PDF vai sagatavojiet dokumentu no veidnes. Pirms publicēšanas redzēsiet PDF un to, kas mainījies salīdzinājumā ar iepriekšējo versiju.',
  pub_source: 'No kā veidot versiju',
  pub_src_pdf: 'Augšupielādēt PDF',
  pub_src_known: 'Veidne, kas zināma šim galdam',
  pub_src_zip: 'Augšupielādēt veidni (ZIP)',
  pub_pdf_file: 'PDF fails',
  pub_pdf_hint: 'Līdz 64 MiB. PDF/A nav obligāts.',
  pub_zip_file: 'Veidnes ZIP fails',
  pub_zip_hint: 'Mapē jābūt rules.typ; ne vairāk par 16 MiB, bez saitēm.',
  pub_template: 'Veidne',
  pub_no_templates: 'Šim galdam nav norādīta veidņu mape.',
  pub_upload: 'Augšupielādēt',
  pub_render: 'Sagatavot PDF',
  pub_working: 'Pārbauda…',
  pub_choose_file: 'Izvēlieties failu.',
  pub_preview_h: 'Priekšskatījums',
  pub_frame: 'Publicējamās versijas PDF',
  pub_open: 'Atvērt PDF jaunā cilnē',
  pub_title_is: 'Nosaukums PDF: {title}',
  pub_no_title: 'PDF nav nosaukuma: ierakstiet to zemāk.',
  pub_pages: 'Lappušu skaits: {n}',
  pub_pdfa_yes: 'PDF/A: jā ({kind})',
  pub_pdfa_no: 'PDF/A: nē (to var publicēt, bet ilgai glabāšanai labāks ir PDF/A)',
  pub_sha: 'SHA-256: {sha}',
  pub_changes_h: 'Kas mainījies salīdzinājumā ar versiju {label}',
  pub_changes_first: 'Šim dokumentam vēl nav versiju: salīdzināt nav ar ko.',
  pub_changes_failed: 'Izmaiņas nevar parādīt: {why}',
  pub_form_h: 'Versijas ziņas',
  pub_document: 'Dokuments',
  pub_rules: 'Noteikumi (attiecas uz visiem)',
  pub_new_doc: 'Jauns dokuments…',
  pub_new_id: 'Jaunā dokumenta identifikators',
  pub_new_id_hint: 'Mazie latīņu burti, cipari, punkts, svītra, piemēram, datu-aizsardziba.',
  pub_title: 'Nosaukums',
  pub_title_hint: 'Ja tukšs, ņem no PDF.',
  pub_label: 'Versijas apzīmējums',
  pub_label_hint: 'Piemēram, 2 vai 2026/1.',
  pub_effective: 'Stājas spēkā',
  pub_date_hint: 'Formā DD.MM.GGGG., piemēram, 31.12.2026.',
  pub_kind: 'Izmaiņu veids',
  pub_material: 'Būtiskas izmaiņas (jāiepazīstas atkārtoti)',
  pub_correction: 'Labojums (atkārtoti iepazīties nevajag)',
  pub_deadline: 'Iepazīties līdz',
  pub_days: 'Dienas jaunam darbiniekam',
  pub_audience: 'Uz ko attiecas',
  pub_units: 'Struktūrvienības',
  pub_positions: 'Amati',
  pub_positions_hint: 'Atdaliet ar komatu. Ja nav norādīta neviena struktūrvienība un amats, attiecas uz visiem.',
  pub_button: 'Publicēt',
  pub_need_preview: 'Vispirms augšupielādējiet PDF vai sagatavojiet to no veidnes.',
  pub_prepared: 'Sagatavoti {n} ieraksti: {action}. Tie vēl nav ierakstīti reģistrā.',
  pub_done: 'Publicēts ({entries}). Pieprasījumu parakstīja jūsu administratora atslēga.',
  pub_entry_one: 'ieraksts Nr. {n}',
  pub_entry_many: 'ieraksti Nr. {first}–{last}',
  err_not_pdf: 'Fails nav PDF, ko var nolasīt.',
  err_empty: 'Fails ir tukšs.',
  err_zip_bomb: 'ZIP failā ir pārmērīgi saspiests fails (ZIP bumba).',
  err_zip_path: 'ZIP failā ir ceļš ārpus mapes (.. vai absolūts ceļš).',
  err_zip_link: 'ZIP failā ir saite vai cits fails, kas nav parasts fails.',
  err_zip_entries: 'ZIP failā ir pārāk daudz failu.',
  err_bad_zip: 'Fails nav ZIP, ko var nolasīt.',
  err_no_main: 'Veidnē nav rules.typ.',
  err_template: 'Veidni nevar sagatavot (piemēram, tā lasa failus ārpus savas mapes).',
  err_upload_large: 'Fails ir par lielu.',
  err_body: 'Fails netika saņemts pilnībā (varbūt savienojums ir pārāk lēns). Mēģiniet vēlreiz.',
  err_publish: 'Versiju nevar publicēt.',
  err_field_label: 'Ierakstiet versijas apzīmējumu.',
  err_field_title: 'Ierakstiet nosaukumu: PDF tā nav.',
  err_field_effective: 'Ierakstiet datumu, kad versija stājas spēkā, kā 31.12.2026.',
  err_field_deadline: 'Būtiskām izmaiņām vajag termiņu, labojumam termiņa nav.',
  err_field_document: 'Dokumenta identifikatorā drīkst būt mazie latīņu burti, cipari, punkts un svītra.',
  err_field_units: 'Noteikumi attiecas uz visiem: struktūrvienības un amatus norāda tikai citiem dokumentiem.',
  err_field_new_employee_days: 'Ierakstiet dienu skaitu (0–3660).',
});

Object.assign(T.en, {
  pub_h: 'Publish a new version',
  pub_p: 'Upload a PDF made elsewhere or make the document from a template. Before publishing you see the PDF and what changed against the previous version.',
  pub_source: 'Where the version comes from',
  pub_src_pdf: 'Upload a PDF',
  pub_src_known: 'A template this desk knows',
  pub_src_zip: 'Upload a template (ZIP)',
  pub_pdf_file: 'PDF file',
  pub_pdf_hint: 'Up to 64 MiB. PDF/A is not required.',
  pub_zip_file: 'Template ZIP file',
  pub_zip_hint: 'The folder must hold rules.typ; at most 16 MiB, no links.',
  pub_template: 'Template',
  pub_no_templates: 'This desk was given no folder of templates.',
  pub_upload: 'Upload',
  pub_render: 'Make the PDF',
  pub_working: 'Checking…',
  pub_choose_file: 'Choose a file.',
  pub_preview_h: 'Preview',
  pub_frame: 'The PDF of the version to publish',
  pub_open: 'Open the PDF in a new tab',
  pub_title_is: 'Title in the PDF: {title}',
  pub_no_title: 'The PDF has no title: type it below.',
  pub_pages: 'Pages: {n}',
  pub_pdfa_yes: 'PDF/A: yes ({kind})',
  pub_pdfa_no: 'PDF/A: no (it can be published, but PDF/A keeps better)',
  pub_sha: 'SHA-256: {sha}',
  pub_changes_h: 'What changed against version {label}',
  pub_changes_first: 'This document has no version yet: nothing to compare.',
  pub_changes_failed: 'The changes cannot be shown: {why}',
  pub_form_h: 'The version',
  pub_document: 'Document',
  pub_rules: 'The rules (bind everyone)',
  pub_new_doc: 'A new document…',
  pub_new_id: 'The new document\'s identifier',
  pub_new_id_hint: 'Lower-case letters, digits, dot, dash, e.g. data-protection.',
  pub_title: 'Title',
  pub_title_hint: 'When empty, the PDF\'s.',
  pub_label: 'Version label',
  pub_label_hint: 'E.g. 2 or 2026/1.',
  pub_effective: 'Takes effect',
  pub_date_hint: 'As DD.MM.YYYY, e.g. 31.12.2026.',
  pub_kind: 'Kind of change',
  pub_material: 'Material change (everyone acknowledges again)',
  pub_correction: 'Correction (no new acknowledgement)',
  pub_deadline: 'Acknowledge by',
  pub_days: 'Days for a new employee',
  pub_audience: 'Who it binds',
  pub_units: 'Units',
  pub_positions: 'Positions',
  pub_positions_hint: 'Separate with commas. With no unit and no position it binds everyone.',
  pub_button: 'Publish',
  pub_need_preview: 'First upload a PDF or make one from a template.',
  pub_prepared: '{n} entries prepared: {action}. They are not in the register yet.',
  pub_done: 'Published ({entries}). Your administrator\'s key signed the request.',
  pub_entry_one: 'entry no. {n}',
  pub_entry_many: 'entries no. {first}–{last}',
  err_not_pdf: 'The file is not a PDF that can be read.',
  err_empty: 'The file is empty.',
  err_zip_bomb: 'The ZIP holds an over-compressed file (a ZIP bomb).',
  err_zip_path: 'The ZIP holds a path outside its folder (.. or absolute).',
  err_zip_link: 'The ZIP holds a link or another entry that is not a plain file.',
  err_zip_entries: 'The ZIP holds too many files.',
  err_bad_zip: 'The file is not a ZIP that can be read.',
  err_no_main: 'The template has no rules.typ.',
  err_template: 'The template does not render (it may read files outside its folder).',
  err_upload_large: 'The file is too large.',
  err_body: 'The file did not arrive whole (the connection may be too slow). Try again.',
  err_publish: 'The version cannot be published.',
  err_field_label: 'Type the version\'s label.',
  err_field_title: 'Type the title: the PDF has none.',
  err_field_effective: 'Type the day it takes effect, as 31.12.2026.',
  err_field_deadline: 'A material change needs a deadline, a correction has none.',
  err_field_document: 'A document identifier holds lower-case letters, digits, dot and dash.',
  err_field_units: 'The rules bind everyone: units and positions are for other documents.',
  err_field_new_employee_days: 'Type a number of days (0–3660).',
});

// The words for an upload's or the publish step's refusal.
function publishWords(r) {
  const own = {
    not_pdf: 'err_not_pdf', empty: 'err_empty', zip_bomb: 'err_zip_bomb', zip_path: 'err_zip_path',
    zip_link: 'err_zip_link', zip_entries: 'err_zip_entries', bad_zip: 'err_bad_zip',
    no_main: 'err_no_main', template: 'err_template', too_large: 'err_upload_large', publish: 'err_publish',
    body: 'err_body',
  };
  const detail = r.data && r.data.message ? t('err_detail', { message: r.data.message }) : null;
  if (r.data && own[r.data.error]) return { text: t(own[r.data.error]), detail };
  return errorWords(r);
}

// Posts a file as the raw body of its type.
async function uploadFile(path, file, type) {
  let response;
  try {
    response = await fetch(path, { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': type }, body: file });
  } catch (e) {
    return { ok: false, status: 0, data: { error: 'network' } };
  }
  let data = {};
  try { data = await response.json(); } catch (e) { data = {}; }
  return { ok: response.ok, status: response.status, data };
}

// The section, as a DOM node; it loads what it chooses from by itself.
// What was staged survives a re-render (a language switch).
const publishKept = { staged: null, choices: null };

function publishSection(after) {
  const state = publishKept;
  if (after && after.published) state.staged = null;
  const sourceBox = messageBox('publish-source-message');
  const preview = el('div', { id: 'publish-preview', 'aria-live': 'polite' });
  const formSlot = el('div', { id: 'publish-form-slot' });
  const section = el('section', { 'aria-labelledby': 'publish-h', id: 'publish-section', class: 'card' },
    el('h2', { id: 'publish-h', text: t('pub_h') }),
    el('p', { text: t('pub_p') }),
    el('p', { role: 'status', text: t('loading') }));
  api('GET', '/api/admin/publish/documents').then((r) => {
    if (!r.ok) { say(sourceBox, errorWords(r)); section.lastChild.replaceWith(sourceBox); return; }
    state.choices = r.data;
    section.lastChild.replaceWith(sourceForm(state, sourceBox, preview, formSlot), sourceBox, preview, formSlot);
    formSlot.append(versionForm(state, preview));
    if (state.staged) showPreview(state, preview);
    if (after && after.published) say(document.getElementById('publish-message'), after.published, 'success');
  });
  return section;
}

function sourceForm(state, box, preview, formSlot) {
  const choice = (value, text, checked) => el('label', { class: 'choice' },
    el('input', { type: 'radio', name: 'publish-source', value, checked }), ' ', text);
  const pdfFile = el('input', { type: 'file', accept: 'application/pdf,.pdf' });
  const zipFile = el('input', { type: 'file', accept: 'application/zip,.zip' });
  const names = state.choices.templates || [];
  const known = el('select', {}, names.map((n) => el('option', { value: n, text: n })));
  const pdfPart = el('div', { id: 'publish-pdf-part' }, field('publish-pdf', t('pub_pdf_file'), pdfFile, t('pub_pdf_hint')));
  const knownPart = el('div', { id: 'publish-known-part', hidden: true },
    names.length ? field('publish-template', t('pub_template'), known) : el('p', { text: t('pub_no_templates') }));
  const zipPart = el('div', { id: 'publish-zip-part', hidden: true }, field('publish-zip', t('pub_zip_file'), zipFile, t('pub_zip_hint')));
  const button = el('button', { type: 'submit', class: 'secondary', id: 'publish-upload', text: t('pub_upload') });
  const source = () => {
    const picked = document.querySelector('input[name="publish-source"]:checked');
    return picked ? picked.value : 'pdf';
  };
  const form = el('form', { id: 'publish-source-form', novalidate: true },
    el('fieldset', {},
      el('legend', { text: t('pub_source') }),
      choice('pdf', t('pub_src_pdf'), true), choice('known', t('pub_src_known')), choice('zip', t('pub_src_zip'))),
    pdfPart, knownPart, zipPart, button);
  form.addEventListener('change', (ev) => {
    if (ev.target.name !== 'publish-source') return;
    const s = source();
    pdfPart.hidden = s !== 'pdf';
    knownPart.hidden = s !== 'known';
    zipPart.hidden = s !== 'zip';
    button.textContent = s === 'known' ? t('pub_render') : t('pub_upload');
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const s = source();
    let r;
    if (s === 'known') {
      if (!names.length) return say(box, t('pub_no_templates'));
      say(box, t('pub_working'), 'info');
      r = await api('POST', '/api/admin/publish/render', { template: known.value });
    } else {
      const input = s === 'pdf' ? pdfFile : zipFile;
      if (!input.files.length) { input.setAttribute('aria-invalid', 'true'); input.focus(); return say(box, t('pub_choose_file')); }
      input.removeAttribute('aria-invalid');
      say(box, t('pub_working'), 'info');
      r = s === 'pdf'
        ? await uploadFile('/api/admin/publish/pdf', input.files[0], 'application/pdf')
        : await uploadFile('/api/admin/publish/zip', input.files[0], 'application/zip');
    }
    if (!r.ok) { state.staged = null; preview.replaceChildren(); return say(box, publishWords(r)); }
    say(box, null);
    state.staged = r.data;
    showPreview(state, preview);
    const title = document.getElementById('publish-title');
    if (title && !r.data.title) title.focus();
    else document.getElementById('publish-preview-h').focus();
  });
  return form;
}

// The document the form names: 'rules', a declared one's id, or the new id.
function chosenDocument() {
  const select = document.getElementById('publish-document');
  if (!select) return 'rules';
  if (select.value === '*new') return document.getElementById('publish-new-id').value.trim();
  return select.value;
}

function showPreview(state, preview) {
  const s = state.staged;
  if (!s) return preview.replaceChildren();
  const url = '/api/admin/publish/staged/' + encodeURIComponent(s.id);
  const facts = el('ul', { class: 'facts', id: 'publish-facts' },
    el('li', { text: s.title ? t('pub_title_is', { title: s.title }) : t('pub_no_title') }),
    el('li', { text: t('pub_pages', { n: s.pages }) }),
    el('li', { id: 'publish-pdfa', text: s.pdfa ? t('pub_pdfa_yes', { kind: s.pdfa }) : t('pub_pdfa_no') }),
    el('li', { class: 'hash', text: t('pub_sha', { sha: s.sha256 }) }));
  const changes = el('div', { id: 'publish-changes', 'aria-live': 'polite' });
  preview.replaceChildren(
    el('h3', { id: 'publish-preview-h', tabindex: '-1', text: t('pub_preview_h') }),
    facts,
    el('iframe', { src: url, title: t('pub_frame'), class: 'pdf-frame', id: 'publish-frame', width: '100%', height: '480' }),
    el('p', {}, el('a', { href: url, target: '_blank', rel: 'noopener', text: t('pub_open') })),
    changes);
  loadChanges(state);
}

async function loadChanges(state) {
  const box = document.getElementById('publish-changes');
  if (!box || !state.staged) return;
  const doc = chosenDocument() || 'rules';
  const r = await api('GET', '/api/admin/publish/changes/' + encodeURIComponent(state.staged.id) + '/' + encodeURIComponent(doc));
  if (!r.ok) {
    box.replaceChildren(el('p', { text: t('pub_changes_failed', { why: r.data.message || r.status }) }));
    return;
  }
  if (r.data.none) { box.replaceChildren(el('p', { text: t('pub_changes_first') })); return; }
  const label = r.data.from.label;
  const nodes = changesList(r.data, { changes: { from: label } });
  for (const n of nodes) if (n.tagName === 'OL') n.setAttribute('aria-label', t('pub_changes_h', { label }));
  box.replaceChildren(el('h3', { text: t('pub_changes_h', { label }) }), ...nodes.filter((n) => !n.classList.contains('muted')));
}

function versionForm(state, preview) {
  const c = state.choices;
  const docSelect = el('select', {},
    el('option', { value: 'rules', text: t('pub_rules') }),
    c.documents.map((d) => el('option', { value: d.id, text: d.title + ' (' + d.id + ')' })),
    el('option', { value: '*new', text: t('pub_new_doc') }));
  const newId = el('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const newPart = el('div', { hidden: true }, field('publish-new-id', t('pub_new_id'), newId, t('pub_new_id_hint')));
  const title = el('input', { type: 'text', autocomplete: 'off' });
  const label = el('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const effective = el('input', { type: 'text', inputmode: 'numeric', autocomplete: 'off', spellcheck: 'false' });
  const deadline = el('input', { type: 'text', inputmode: 'numeric', autocomplete: 'off', spellcheck: 'false' });
  const days = el('input', { type: 'text', inputmode: 'numeric', autocomplete: 'off', value: '14' });
  const kind = (value, text, checked) => el('label', { class: 'choice' },
    el('input', { type: 'radio', name: 'publish-kind', value, checked }), ' ', text);
  const unitBoxes = c.units.map((u) => el('label', { class: 'choice' },
    el('input', { type: 'checkbox', name: 'publish-unit', value: u.id }), ' ', u.name + ' (' + u.id + ')'));
  const positions = el('input', { type: 'text', autocomplete: 'off' });
  const audience = el('fieldset', { id: 'publish-audience', hidden: true },
    el('legend', { text: t('pub_audience') }),
    unitBoxes.length ? el('div', { role: 'group', 'aria-label': t('pub_units') }, el('p', { class: 'muted', text: t('pub_units') }), unitBoxes) : null,
    field('publish-positions', t('pub_positions'), positions, t('pub_positions_hint')));
  const deadlinePart = field('publish-deadline', t('pub_deadline'), deadline, t('pub_date_hint'));
  const box = messageBox('publish-message');
  const fillAudience = () => {
    const d = c.documents.find((x) => x.id === docSelect.value);
    for (const b of audience.querySelectorAll('input[type=checkbox]')) b.checked = !!(d && d.units.includes(b.value));
    positions.value = d ? d.positions.join(', ') : '';
  };
  docSelect.addEventListener('change', () => {
    newPart.hidden = docSelect.value !== '*new';
    audience.hidden = docSelect.value === 'rules';
    fillAudience();
    loadChanges(state);
  });
  newId.addEventListener('change', () => loadChanges(state));
  const form = el('form', { id: 'publish-form', novalidate: true },
    el('h3', { text: t('pub_form_h') }),
    field('publish-document', t('pub_document'), docSelect),
    newPart,
    field('publish-title', t('pub_title'), title, t('pub_title_hint')),
    field('publish-label', t('pub_label'), label, t('pub_label_hint')),
    field('publish-effective', t('pub_effective'), effective, t('pub_date_hint')),
    el('fieldset', {}, el('legend', { text: t('pub_kind') }),
      kind('material', t('pub_material'), true), kind('correction', t('pub_correction'))),
    deadlinePart,
    field('publish-days', t('pub_days'), days),
    audience,
    box,
    el('button', { type: 'submit', class: 'primary', id: 'publish-button', text: t('pub_button') }));
  form.addEventListener('change', (ev) => {
    if (ev.target.name === 'publish-kind') deadlinePart.hidden = ev.target.value !== 'material';
  });
  const inputs = { label, title, effective, deadline, document: docSelect, units: positions, positions, new_employee_days: days };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!state.staged) return say(box, t('pub_need_preview'));
    const material = document.querySelector('input[name="publish-kind"]:checked').value === 'material';
    const dates = { effective: isoDate(effective.value), deadline: material ? isoDate(deadline.value) : '' };
    if (!/^\d{1,4}$/.test(days.value.trim())) {
      const words = { text: t('err_field_new_employee_days'), field: 'new_employee_days' };
      markField(inputs, words);
      return say(box, words);
    }
    for (const [k, v] of Object.entries(dates)) {
      if (v === null) { const words = { text: t('err_field_' + k), field: k }; markField(inputs, words); return say(box, words); }
    }
    const body = {
      staged: state.staged.id, document: chosenDocument(), label: label.value, effective: dates.effective,
      material, new_employee_days: Number(days.value.trim()),
    };
    if (title.value.trim()) body.title = title.value;
    if (material && dates.deadline) body.deadline = dates.deadline;
    if (docSelect.value !== 'rules') {
      body.units = [...audience.querySelectorAll('input[type=checkbox]:checked')].map((b) => b.value);
      body.positions = positions.value.split(',').map((p) => p.trim()).filter((p) => p);
    }
    const r = await api('POST', '/api/admin/publish', body);
    if (!r.ok) { const words = publishWords(r); markField(inputs, words); return say(box, words); }
    markField(inputs, null);
    publishKept.offer = r.data;
    const n = typeof r.data.entries === 'number' ? r.data.entries : r.data.entries.length;
    if (typeof signAndCommit !== 'function' || !r.data.plan) {
      return say(box, t('pub_prepared', { n, action: r.data.action }), 'success');
    }
    const done = await signAndCommit(r.data);
    if (!done.ok) {
      return say(box, typeof adminErrorWords === 'function' ? adminErrorWords(done) : publishWords(done));
    }
    const written = done.data.entries || [];
    const entries = written.length === 1 ? t('pub_entry_one', { n: written[0] })
      : t('pub_entry_many', { first: written[0], last: written[written.length - 1] });
    const words = t('pub_done', { entries });
    publishKept.staged = null;
    return loadAdmin(null, { published: words });
  });
  return form;
}
