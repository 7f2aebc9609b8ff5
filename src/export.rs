//! Exports of submitted monthly reports: one row per report with where it came from, who sent
//! it, when, and every answer; column headers are the questions in the reader's language.
//! Used by `chihoi export` (and, later, by the admins' `/xuat` in chat).

use std::collections::HashMap;

use chrono::TimeZone;
use chrono_tz::Tz;
use rust_xlsxwriter::{Format, Workbook};

use crate::dialog::labels;
use crate::domain::period::Period;
use crate::domain::report::Section;
use crate::i18n::Lang;
use crate::storage::{StorageError, Store, org, reports};
use crate::tr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("no unit with code {0:?}")]
    UnknownUnit(String),
    #[error("writing CSV failed")]
    Csv(#[from] csv::Error),
    #[error("writing XLSX failed")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// The table: headers and rows of cells, ready for any writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Submitted reports of `period` in the subtree of `unit_code` (everything when `None`).
pub async fn reports_table(
    store: &Store,
    period: Period,
    unit_code: Option<&str>,
    lang: Lang,
    tz: Tz,
) -> Result<Table, ExportError> {
    let mut conn = store.pool().acquire().await?;
    let root_path = match unit_code {
        Some(code) => {
            org::unit_by_code(&mut conn, code)
                .await?
                .ok_or_else(|| ExportError::UnknownUnit(code.to_owned()))?
                .path
        }
        None => "/".to_owned(),
    };
    let names: HashMap<i64, String> = org::all_units(&mut conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let found = reports::reports_in_subtree(&mut conn, period, &root_path).await?;
    let time = |ts: i64| {
        tz.timestamp_opt(ts, 0)
            .single()
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    };
    let rows = found
        .into_iter()
        .map(|r| {
            let path = r
                .unit_id_path
                .split('/')
                .filter_map(|id| id.parse::<i64>().ok())
                .filter_map(|id| names.get(&id).cloned())
                .collect::<Vec<_>>()
                .join(" › ");
            let rep = &r.stored.report;
            let mut row = vec![
                r.unit_code,
                path,
                r.stored.period.to_string(),
                r.author,
                time(r.stored.submitted_at),
                time(r.stored.updated_at),
                r.stored.revision.to_string(),
            ];
            for (section, answer) in [
                (Section::Labour, &rep.labour),
                (Section::Living, &rep.living),
                (Section::Thoughts, &rep.thoughts),
            ] {
                row.push(labels::situation(lang, section, answer.situation));
                row.push(answer.note.clone().unwrap_or_default());
            }
            row.push(rep.incidents.len().to_string());
            row.push(
                rep.incidents
                    .iter()
                    .enumerate()
                    .map(|(i, inc)| format!("{}. {}", i + 1, labels::incident(lang, inc)))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
            row.push(rep.proposals.clone().unwrap_or_default());
            row
        })
        .collect();
    Ok(Table {
        headers: headers(lang),
        rows,
    })
}

fn headers(lang: Lang) -> Vec<String> {
    vec![
        tr!(lang, "export-unit-code"),
        tr!(lang, "export-unit-path"),
        tr!(lang, "export-period"),
        tr!(lang, "export-author"),
        tr!(lang, "export-submitted-at"),
        tr!(lang, "export-updated-at"),
        tr!(lang, "export-revision"),
        tr!(lang, "export-labour"),
        tr!(lang, "export-labour-note"),
        tr!(lang, "export-living"),
        tr!(lang, "export-living-note"),
        tr!(lang, "export-thoughts"),
        tr!(lang, "export-thoughts-note"),
        tr!(lang, "export-incident-count"),
        tr!(lang, "export-incidents"),
        tr!(lang, "export-proposals"),
    ]
}

/// CSV, UTF-8 with a byte-order mark so that Excel shows Vietnamese correctly.
pub fn to_csv(table: &Table) -> Result<Vec<u8>, ExportError> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(&table.headers)?;
        for row in &table.rows {
            w.write_record(row)?;
        }
        w.flush().map_err(csv::Error::from)?;
    }
    Ok(out)
}

pub fn to_xlsx(table: &Table, sheet_name: &str) -> Result<Vec<u8>, ExportError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name)?;
    let bold = Format::new().set_bold().set_text_wrap();
    let wrap = Format::new().set_text_wrap();
    for (c, h) in table.headers.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, &bold)?;
        sheet.set_column_width(c as u16, if c == 1 || c >= 7 { 30 } else { 14 })?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string_with_format(r as u32 + 1, c as u16, cell, &wrap)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(
        0,
        0,
        table.rows.len() as u32,
        table.headers.len().saturating_sub(1) as u16,
    )?;
    Ok(book.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            headers: vec!["Mã đơn vị".into(), "Ghi chú".into()],
            rows: vec![vec![
                "TB-DH".into(),
                "Bà con phấn khởi, \"được mùa\"\nxuống dòng 🌾".into(),
            ]],
        }
    }

    #[test]
    fn csv_starts_with_a_bom_and_quotes_what_needs_quoting() {
        let bytes = to_csv(&table()).unwrap();
        assert!(bytes.starts_with("\u{feff}".as_bytes()));
        let mut r = csv::Reader::from_reader(&bytes[3..]);
        assert_eq!(r.headers().unwrap().get(0), Some("Mã đơn vị"));
        let rec = r.records().next().unwrap().unwrap();
        assert_eq!(
            rec.get(1),
            Some("Bà con phấn khởi, \"được mùa\"\nxuống dòng 🌾")
        );
    }

    #[test]
    fn xlsx_reads_back_with_the_same_cells() {
        use calamine::{Reader, Xlsx};
        let bytes = to_xlsx(&table(), "Báo cáo tháng").unwrap();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("Báo cáo tháng").unwrap();
        assert_eq!(range.get_value((0, 0)).unwrap().to_string(), "Mã đơn vị");
        assert_eq!(
            range.get_value((1, 1)).unwrap().to_string(),
            "Bà con phấn khởi, \"được mùa\"\nxuống dòng 🌾"
        );
    }
}
