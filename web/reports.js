'use strict';
// The administration's reports: per document and unit, the status as CSV
// (as `ackreg log status --csv`), the printed report (as `ackreg log
// report`), the filled annex of the version in force, and the log's files
// to audit offline. The server makes every file; this only links them.
// Loaded before app.js; uses its helpers (el, t, field) when built.

const REPORTS_WORDS = {
  lv: {
    rp_h: 'Pārskati un lejupielādes',
    rp_p: 'Statuss izklājlapai (CSV), drukājams pārskats (PDF) un aizpildīts pielikums katram dokumentam; izvēlieties struktūrvienību, lai redzētu tikai tās darbiniekus.',
    rp_unit: 'Struktūrvienība',
    rp_all_units: 'Visas struktūrvienības',
    rp_all_docs: 'Visi dokumenti',
    rp_table: 'Lejupielādes pa dokumentiem',
    rp_col_doc: 'Dokuments',
    rp_col_csv: 'Statuss',
    rp_col_pdf: 'Pārskats',
    rp_col_annex: 'Pielikums',
    rp_csv: 'CSV',
    rp_pdf: 'PDF',
    rp_csv_of: 'Statuss CSV: {what}',
    rp_pdf_of: 'Pārskats PDF: {what}',
    rp_annex_of: 'Pielikums PDF: {what}',
    rp_log: 'Reģistra faili pārbaudei (tar.gz)',
    rp_log_hint: 'Viss, kas vajadzīgs, lai reģistru pārbaudītu bezsaistē ar „ackreg verify”.',
  },
  en: {
    rp_h: 'Reports and downloads',
    rp_p: 'The status for a spreadsheet (CSV), the printed report (PDF) and the filled annex of each document; choose a unit to see only its employees.',
    rp_unit: 'Unit',
    rp_all_units: 'All units',
    rp_all_docs: 'All documents',
    rp_table: 'Downloads by document',
    rp_col_doc: 'Document',
    rp_col_csv: 'Status',
    rp_col_pdf: 'Report',
    rp_col_annex: 'Annex',
    rp_csv: 'CSV',
    rp_pdf: 'PDF',
    rp_csv_of: 'Status CSV: {what}',
    rp_pdf_of: 'Report PDF: {what}',
    rp_annex_of: 'Annex PDF: {what}',
    rp_log: 'The register\'s files to verify (tar.gz)',
    rp_log_hint: 'Everything needed to verify the register offline with "ackreg verify".',
  },
};

function reportsWords() {
  if (T.lv.rp_h) return;
  Object.assign(T.lv, REPORTS_WORDS.lv);
  Object.assign(T.en, REPORTS_WORDS.en);
}

// `?document=D&unit=U`, each only when chosen.
function reportQuery(document, unit) {
  const q = [];
  if (document) q.push('document=' + encodeURIComponent(document));
  if (unit) q.push('unit=' + encodeURIComponent(unit));
  return q.length ? '?' + q.join('&') : '';
}

function reportLink(href, text, label, cls) {
  return el('a', { href, download: '', class: cls, 'aria-label': label, text });
}

// One row: the document (or all), its CSV, report and annex.
function reportRow(s, d, unit) {
  const what = d ? d.title + ' (' + d.id + ')' : t('rp_all_docs');
  const q = reportQuery(d ? d.id : null, unit);
  const current = d && d.version !== null && d.version !== undefined ? s.versions[d.version] : null;
  const annex = current && current.annex !== null && current.annex !== undefined
    ? reportLink('/api/admin/reports/annex/' + current.annex, t('rp_pdf'), t('rp_annex_of', { what: what + ' ' + current.label }), 'rp-annex')
    : '—';
  return [what,
    reportLink('/api/admin/reports/status.csv' + q, t('rp_csv'), t('rp_csv_of', { what }), 'rp-csv'),
    reportLink('/api/admin/reports/report.pdf' + q, t('rp_pdf'), t('rp_pdf_of', { what }), 'rp-pdf'),
    annex];
}

function reportTable(s, unit) {
  const rows = [reportRow(s, null, unit)].concat((s.documents || []).map((d) => reportRow(s, d, unit)));
  return table(t('rp_table'), [t('rp_col_doc'), t('rp_col_csv'), t('rp_col_pdf'), t('rp_col_annex')], rows);
}

// The section for renderAdmin.
function reportsSection(s) {
  reportsWords();
  const select = el('select', {},
    el('option', { value: '', text: t('rp_all_units') }),
    (s.units || []).map((u) => el('option', { value: u.id, text: u.name + ' (' + u.id + ')' })));
  const holder = el('div', { id: 'reports-table' }, reportTable(s, ''));
  select.addEventListener('change', () => holder.replaceChildren(reportTable(s, select.value)));
  return el('section', { id: 'reports', 'aria-labelledby': 'reports-h' },
    el('h2', { id: 'reports-h', text: t('rp_h') }),
    el('p', { class: 'muted', text: t('rp_p') }),
    (s.units || []).length ? field('reports-unit', t('rp_unit'), select) : null,
    holder,
    el('p', {}, el('a', { href: '/api/admin/reports/log.tar.gz', download: '', id: 'rp-log', text: t('rp_log') })),
    el('p', { class: 'hint', text: t('rp_log_hint') }));
}
