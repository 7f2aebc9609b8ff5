//! The Union's unit tree — province, district, grassroots union, branch, group — as plain data.
//!
//! The CLI calls this module: `chihoi org import FILE.csv` runs [`parse_org_csv`] on the file and
//! [`plan_import`] against the units already stored, then storage persists the returned
//! [`ImportPlan`]; `chihoi org tree [CODE]` loads the stored units and prints [`render_tree`].
//! Nothing here touches a database, a chat platform or the clock.
//!
//! An import file is CSV, UTF-8, with a header naming `code,parent_code,level,name` (any order,
//! extra columns ignored). The whole file is validated before anything is planned: one bad row
//! means nothing is imported, and the error names the file line so a person can fix it in Excel.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// Level of a unit; depth is data — a deployment may skip levels (province → grassroots → branch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Hội LHPN tỉnh.
    Province,
    /// Hội LHPN huyện / thành phố (abolished as a tier of government in July 2025).
    District,
    /// Hội LHPN cơ sở: the commune or ward union.
    Grassroots,
    /// Chi hội phụ nữ: a village or residential-area branch.
    Branch,
    /// Tổ phụ nữ: an optional group inside a branch.
    Group,
}

impl Level {
    /// Every level, from the top of the tree down.
    pub const ALL: [Level; 5] = [
        Level::Province,
        Level::District,
        Level::Grassroots,
        Level::Branch,
        Level::Group,
    ];

    /// Position from the top: province 0 … group 4. A child's rank must exceed its parent's.
    pub fn rank(self) -> u8 {
        match self {
            Level::Province => 0,
            Level::District => 1,
            Level::Grassroots => 2,
            Level::Branch => 3,
            Level::Group => 4,
        }
    }

    /// The English name used in import files and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::District => "district",
            Level::Grassroots => "grassroots",
            Level::Branch => "branch",
            Level::Group => "group",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A level name that is none of [`Level::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown level {input:?}: use one of province, district, grassroots, branch, group")]
pub struct ParseLevelError {
    /// What was given, trimmed.
    pub input: String,
}

impl FromStr for Level {
    type Err = ParseLevelError;

    /// Accepts the English names of [`Level::as_str`], ignoring case and surrounding spaces.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Level::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| ParseLevelError {
                input: wanted.to_owned(),
            })
    }
}

/// Longest unit code accepted, in characters (all ASCII, so also bytes).
pub const MAX_CODE_LEN: usize = 32;

/// Longest unit name accepted, in characters.
pub const MAX_NAME_LEN: usize = 200;

/// A unit code: 1..=32 chars of `[A-Za-z0-9_.-]`, trimmed. Codes are compared exactly (case
/// matters); they are short ASCII handles like `TB-DH`, the Vietnamese goes in the name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct UnitCode(String);

/// Why a string is not a [`UnitCode`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitCodeError {
    #[error("a unit code can't be empty")]
    Empty,
    #[error(
        "{found:?} is not allowed in a unit code: use only letters A-Z without accents, digits, '-', '_' and '.'"
    )]
    BadChar { found: char },
    #[error("a unit code has at most 32 characters; this one has {len}")]
    TooLong { len: usize },
}

impl UnitCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for UnitCode {
    type Err = UnitCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let code = s.trim();
        if code.is_empty() {
            return Err(UnitCodeError::Empty);
        }
        if let Some(found) = code
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(UnitCodeError::BadChar { found });
        }
        if code.len() > MAX_CODE_LEN {
            return Err(UnitCodeError::TooLong { len: code.len() });
        }
        Ok(UnitCode(code.to_owned()))
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// Serialised as a bare string; deserialising validates, so a stored or sent code is always valid.
impl<'de> Deserialize<'de> for UnitCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// One data row of an import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRecord {
    /// 1-based line in the file where the row starts (the header is line 1).
    pub line: usize,
    pub code: UnitCode,
    /// `None` for a root (a province, usually).
    pub parent: Option<UnitCode>,
    pub level: Level,
    /// Trimmed, inner runs of whitespace folded to one space.
    pub name: String,
}

/// What already exists in storage, for validating a re-import against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingUnit {
    pub code: UnitCode,
    pub parent: Option<UnitCode>,
    pub level: Level,
    pub name: String,
}

/// What an import will change, for storage to apply all or nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportPlan {
    /// New units, parents before children (otherwise in file order).
    pub inserts: Vec<UnitRecord>,
    /// Existing units, same parent and level, whose name changes to `name`.
    pub renames: Vec<UnitRecord>,
    /// Rows identical to what is stored.
    pub unchanged: usize,
}

/// Why an import file was refused. Each message starts with the file line it applies to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgFileError {
    #[error(
        "line {line}: the file is not UTF-8 text; in Excel use \"Save As\" → \"CSV UTF-8 (Comma delimited)\" and import that file"
    )]
    NotUtf8 { line: usize },
    #[error(
        "line 1: the header has no `{0}` column; the first row must name the columns code, parent_code, level, name"
    )]
    MissingColumn(&'static str),
    #[error("line {line}: {message}")]
    Csv { line: usize, message: String },
    #[error("line {line}: {column} {value:?} is not a valid unit code: {reason}")]
    BadCode {
        line: usize,
        /// `code` or `parent_code`.
        column: &'static str,
        value: String,
        reason: UnitCodeError,
    },
    #[error(
        "line {line}: level {value:?} is unknown; use one of province, district, grassroots, branch, group"
    )]
    BadLevel { line: usize, value: String },
    #[error("line {line}: the name is empty")]
    EmptyName { line: usize },
    #[error("line {line}: the name has {chars} characters; at most 200 are allowed")]
    NameTooLong { line: usize, chars: usize },
    #[error("line {line}: code {code} is already used on line {first_line}")]
    DuplicateCode {
        line: usize,
        first_line: usize,
        code: UnitCode,
    },
    #[error(
        "line {line}: parent_code {parent} of {code} is neither in the file nor an existing unit"
    )]
    UnknownParent {
        line: usize,
        code: UnitCode,
        parent: UnitCode,
    },
    #[error("line {line}: {code} would be its own ancestor ({}); a tree can't loop", join_codes(.chain))]
    Cycle {
        line: usize,
        code: UnitCode,
        /// From `code` up its parents back to `code`.
        chain: Vec<UnitCode>,
    },
    #[error(
        "line {line}: {code} is a {level} unit but its parent {parent} is a {parent_level}; a unit must sit at a lower level than its parent (province, district, grassroots, branch, group)"
    )]
    LevelNotBelowParent {
        line: usize,
        code: UnitCode,
        level: Level,
        parent: UnitCode,
        parent_level: Level,
    },
    #[error(
        "line {line}: {code} already exists as a {old_level} {}; the file puts it as a {new_level} {}. Moving a unit or changing its level is refused because reports and members are attached to it; give the new unit a new code",
        show_parent(.old_parent), show_parent(.new_parent)
    )]
    Reparent {
        line: usize,
        code: UnitCode,
        old_parent: Option<UnitCode>,
        new_parent: Option<UnitCode>,
        old_level: Level,
        new_level: Level,
    },
}

impl OrgFileError {
    /// The 1-based file line the error applies to.
    pub fn line(&self) -> usize {
        match self {
            OrgFileError::MissingColumn(_) => 1,
            OrgFileError::NotUtf8 { line }
            | OrgFileError::Csv { line, .. }
            | OrgFileError::BadCode { line, .. }
            | OrgFileError::BadLevel { line, .. }
            | OrgFileError::EmptyName { line }
            | OrgFileError::NameTooLong { line, .. }
            | OrgFileError::DuplicateCode { line, .. }
            | OrgFileError::UnknownParent { line, .. }
            | OrgFileError::Cycle { line, .. }
            | OrgFileError::LevelNotBelowParent { line, .. }
            | OrgFileError::Reparent { line, .. } => *line,
        }
    }
}

/// Where a unit hangs, as words for an error message.
fn show_parent(parent: &Option<UnitCode>) -> String {
    match parent {
        Some(code) => format!("under {code}"),
        None => "at the top of the tree (no parent)".to_owned(),
    }
}

fn join_codes(codes: &[UnitCode]) -> String {
    codes
        .iter()
        .map(UnitCode::as_str)
        .collect::<Vec<_>>()
        .join(" → ")
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The four columns every import file must have, in the order they are looked up.
const COLUMNS: [&str; 4] = ["code", "parent_code", "level", "name"];

/// Reads an import file into records, checking each row on its own (codes, level, name).
/// Whole-file rules (duplicates, parents, levels, cycles) are [`plan_import`]'s.
///
/// Blank rows (also rows of only commas, as Excel leaves them) are skipped. A file whose header
/// has semicolons and no commas — what Excel writes under a Vietnamese list separator — is read
/// with `;` as the separator.
pub fn parse_org_csv(bytes: &[u8]) -> Result<Vec<UnitRecord>, OrgFileError> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let text = utf8_text(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(text))
        .from_reader(text.as_bytes());

    let mut lines = LineCounter::new(text);
    let mut columns: Option<[usize; 4]> = None;
    let mut records = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|err| OrgFileError::Csv {
            line: err.position().map_or(lines.line, |p| lines.line_at(p)),
            message: err.to_string(),
        })?;
        if row.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let line = row.position().map_or(lines.line, |p| lines.line_at(p));
        match columns {
            None => columns = Some(locate_columns(&row)?),
            Some(columns) => records.push(read_record(&row, line, columns)?),
        }
    }
    if columns.is_none() {
        return Err(OrgFileError::MissingColumn(COLUMNS[0]));
    }
    Ok(records)
}

/// The text of `bytes`, or the line of the first byte that can't be CSV UTF-8 text. NUL counts
/// as such a byte: UTF-16 without a byte-order mark is otherwise valid UTF-8, full of NULs.
fn utf8_text(bytes: &[u8]) -> Result<&str, OrgFileError> {
    let bad_at = match std::str::from_utf8(bytes) {
        Ok(text) => match text.find('\0') {
            None => return Ok(text),
            Some(nul) => nul,
        },
        Err(err) => {
            let valid = &bytes[..err.valid_up_to()];
            valid.iter().position(|&b| b == 0).unwrap_or(valid.len())
        }
    };
    Err(OrgFileError::NotUtf8 {
        line: 1 + bytes[..bad_at].iter().filter(|&&b| b == b'\n').count(),
    })
}

fn sniff_delimiter(text: &str) -> u8 {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if header.contains(';') && !header.contains(',') {
        b';'
    } else {
        b','
    }
}

/// Turns the byte offsets of csv positions into 1-based line numbers. The csv crate's own
/// `Position::line` undercounts after CRLF line ends and blank lines, so lines are counted here.
struct LineCounter<'a> {
    text: &'a [u8],
    /// Offset up to which newlines have been counted into `line`.
    byte: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }

    /// The line of the record at `position`. A record's offset may point at the line ends left
    /// before it; those are skipped. Offsets must not decrease between calls.
    fn line_at(&mut self, position: &csv::Position) -> usize {
        let mut start = usize::try_from(position.byte())
            .unwrap_or(usize::MAX)
            .clamp(self.byte, self.text.len());
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        self.line += self.text[self.byte..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.byte = start;
        self.line
    }
}

fn locate_columns(header: &csv::StringRecord) -> Result<[usize; 4], OrgFileError> {
    let mut found = [0; 4];
    for (slot, wanted) in found.iter_mut().zip(COLUMNS) {
        *slot = header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(wanted))
            .ok_or(OrgFileError::MissingColumn(wanted))?;
    }
    Ok(found)
}

fn read_record(
    row: &csv::StringRecord,
    line: usize,
    [code_at, parent_at, level_at, name_at]: [usize; 4],
) -> Result<UnitRecord, OrgFileError> {
    let field = |at: usize, column: &str| {
        row.get(at).map(str::trim).ok_or_else(|| OrgFileError::Csv {
            line,
            message: format!(
                "this row has {} fields, so it has no `{column}` (field {}); is a comma missing?",
                row.len(),
                at + 1
            ),
        })
    };
    let code_text = field(code_at, "code")?;
    let parent_text = field(parent_at, "parent_code")?;
    let level_text = field(level_at, "level")?;
    let name_text = field(name_at, "name")?;

    let code = code_text.parse().map_err(|reason| OrgFileError::BadCode {
        line,
        column: "code",
        value: code_text.to_owned(),
        reason,
    })?;
    let parent = if parent_text.is_empty() {
        None
    } else {
        Some(
            parent_text
                .parse()
                .map_err(|reason| OrgFileError::BadCode {
                    line,
                    column: "parent_code",
                    value: parent_text.to_owned(),
                    reason,
                })?,
        )
    };
    let level = level_text
        .parse()
        .map_err(|_: ParseLevelError| OrgFileError::BadLevel {
            line,
            value: level_text.to_owned(),
        })?;
    // One name, however the keyboard composed it (Unikey's "Unicode tổ hợp" sends decomposed
    // marks): stored composed (NFC), so a re-import plans no false rename.
    let name: String = unicode_normalization::UnicodeNormalization::nfc(
        name_text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .as_str(),
    )
    .collect();
    if name.is_empty() {
        return Err(OrgFileError::EmptyName { line });
    }
    let chars = name.chars().count();
    if chars > MAX_NAME_LEN {
        return Err(OrgFileError::NameTooLong { line, chars });
    }
    Ok(UnitRecord {
        line,
        code,
        parent,
        level,
        name,
    })
}

/// Checks the file as a whole against what is stored and says what importing it would change.
///
/// Rows are checked in order and the first failing row is reported: a code used twice, an
/// existing unit moved or given another level, a parent neither in the file nor stored, a loop
/// of parents, a unit not below its parent's level. Several roots are fine. Importing the same
/// file twice plans nothing the second time.
pub fn plan_import(
    records: Vec<UnitRecord>,
    existing: &[ExistingUnit],
) -> Result<ImportPlan, OrgFileError> {
    let stored: HashMap<&UnitCode, &ExistingUnit> =
        existing.iter().map(|unit| (&unit.code, unit)).collect();
    let mut first_row: HashMap<&UnitCode, usize> = HashMap::new();
    for (index, record) in records.iter().enumerate() {
        first_row.entry(&record.code).or_insert(index);
    }
    // Parent and level of a code as this import would leave them: the file's row wins, and a
    // stored unit's row must agree with storage anyway (checked below before it matters).
    let placed = |code: &UnitCode| -> Option<(Option<&UnitCode>, Level)> {
        match first_row.get(code) {
            Some(&i) => Some((records[i].parent.as_ref(), records[i].level)),
            None => stored
                .get(code)
                .map(|unit| (unit.parent.as_ref(), unit.level)),
        }
    };

    for (index, record) in records.iter().enumerate() {
        let first = first_row.get(&record.code).copied().unwrap_or(index);
        if first != index {
            return Err(OrgFileError::DuplicateCode {
                line: record.line,
                first_line: records[first].line,
                code: record.code.clone(),
            });
        }
        if let Some(old) = stored.get(&record.code)
            && (old.parent != record.parent || old.level != record.level)
        {
            return Err(OrgFileError::Reparent {
                line: record.line,
                code: record.code.clone(),
                old_parent: old.parent.clone(),
                new_parent: record.parent.clone(),
                old_level: old.level,
                new_level: record.level,
            });
        }
        let Some(parent) = &record.parent else {
            continue;
        };
        let Some((_, parent_level)) = placed(parent) else {
            return Err(OrgFileError::UnknownParent {
                line: record.line,
                code: record.code.clone(),
                parent: parent.clone(),
            });
        };
        if let Some(chain) = loop_through(&record.code, &placed) {
            return Err(OrgFileError::Cycle {
                line: record.line,
                code: record.code.clone(),
                chain,
            });
        }
        if record.level.rank() <= parent_level.rank() {
            return Err(OrgFileError::LevelNotBelowParent {
                line: record.line,
                code: record.code.clone(),
                level: record.level,
                parent: parent.clone(),
                parent_level,
            });
        }
    }

    let order = parents_first(&records, &stored);
    let mut slots: Vec<Option<UnitRecord>> = records.into_iter().map(Some).collect();
    let mut plan = ImportPlan::default();
    for slot in &mut slots {
        let Some(record) = slot.take_if(|r| stored.contains_key(&r.code)) else {
            continue;
        };
        match stored.get(&record.code) {
            Some(old) if old.name == record.name => plan.unchanged += 1,
            _ => plan.renames.push(record),
        }
    }
    plan.inserts = order.into_iter().filter_map(|i| slots[i].take()).collect();
    Ok(plan)
}

/// The chain `code → parent → … → code` if following parents from `code` comes back to it.
fn loop_through<'a>(
    code: &'a UnitCode,
    placed: &impl Fn(&UnitCode) -> Option<(Option<&'a UnitCode>, Level)>,
) -> Option<Vec<UnitCode>> {
    let mut chain = vec![code];
    let mut seen = HashSet::from([code]);
    let mut current = placed(code).and_then(|(parent, _)| parent);
    while let Some(next) = current {
        chain.push(next);
        if next == code {
            return Some(chain.into_iter().cloned().collect());
        }
        if !seen.insert(next) {
            // A loop above `code` that `code` is not part of: reported on its own members' rows.
            return None;
        }
        current = placed(next).and_then(|(parent, _)| parent);
    }
    None
}

/// Indices of the new (not stored) records, each after its new ancestors, otherwise in file
/// order. Expects the checks of [`plan_import`] to have passed (no duplicates, no loops).
fn parents_first(records: &[UnitRecord], stored: &HashMap<&UnitCode, &ExistingUnit>) -> Vec<usize> {
    let new_rows: HashMap<&UnitCode, usize> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| !stored.contains_key(&r.code))
        .map(|(i, r)| (&r.code, i))
        .collect();
    let mut emitted = vec![false; records.len()];
    let mut order = Vec::with_capacity(new_rows.len());
    for (index, record) in records.iter().enumerate() {
        if emitted[index] || !new_rows.contains_key(&record.code) {
            continue;
        }
        let mut pending = vec![index];
        let mut parent = record.parent.as_ref();
        while let Some(&up) = parent.and_then(|p| new_rows.get(p)) {
            if emitted[up] || pending.contains(&up) {
                break;
            }
            pending.push(up);
            parent = records[up].parent.as_ref();
        }
        for i in pending.into_iter().rev() {
            emitted[i] = true;
            order.push(i);
        }
    }
    order
}

/// `render_tree` was asked for a subtree whose root is not among the units.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no unit has the code {0}")]
pub struct UnknownUnit(pub UnitCode);

/// An indented listing, one unit a line as `code  name  (level)`, two spaces of indent per
/// depth, children sorted by code. With `root`, only that unit and what is below it; without,
/// every tree (a unit whose parent is missing from `units` is shown as a root).
pub fn render_tree(units: &[ExistingUnit], root: Option<&UnitCode>) -> Result<String, UnknownUnit> {
    let by_code: HashMap<&UnitCode, &ExistingUnit> =
        units.iter().map(|unit| (&unit.code, unit)).collect();
    let mut children: HashMap<&UnitCode, Vec<&ExistingUnit>> = HashMap::new();
    let mut roots = Vec::new();
    for unit in units {
        match &unit.parent {
            Some(parent) if by_code.contains_key(parent) => {
                children.entry(parent).or_default().push(unit)
            }
            _ => roots.push(unit),
        }
    }
    let tops = match root {
        Some(code) => vec![*by_code.get(code).ok_or_else(|| UnknownUnit(code.clone()))?],
        None => roots,
    };

    let mut out = String::new();
    let mut seen = HashSet::new();
    // Depth-first with an explicit stack, pushed in reverse so the smallest code comes out first.
    let mut stack: Vec<(usize, &ExistingUnit)> = tops.into_iter().map(|unit| (0, unit)).collect();
    stack.sort_by(|a, b| b.1.code.cmp(&a.1.code));
    while let Some((depth, unit)) = stack.pop() {
        if !seen.insert(&unit.code) {
            continue; // stored data with a loop: print each unit once
        }
        out.push_str(&format!(
            "{:indent$}{}  {}  ({})\n",
            "",
            unit.code,
            unit.name,
            unit.level,
            indent = depth * 2
        ));
        if let Some(kids) = children.get(&unit.code) {
            let mut kids = kids.clone();
            kids.sort_by(|a, b| b.code.cmp(&a.code));
            stack.extend(kids.into_iter().map(|kid| (depth + 1, kid)));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> UnitCode {
        s.parse().unwrap()
    }

    fn parse(text: &str) -> Result<Vec<UnitRecord>, OrgFileError> {
        parse_org_csv(text.as_bytes())
    }

    fn plan(text: &str) -> Result<ImportPlan, OrgFileError> {
        plan_import(parse(text)?, &[])
    }

    fn stored(records: &[UnitRecord]) -> Vec<ExistingUnit> {
        records
            .iter()
            .map(|r| ExistingUnit {
                code: r.code.clone(),
                parent: r.parent.clone(),
                level: r.level,
                name: r.name.clone(),
            })
            .collect()
    }

    fn codes(records: &[UnitRecord]) -> Vec<&str> {
        records.iter().map(|r| r.code.as_str()).collect()
    }

    const THAI_BINH_SMALL: &str = "\
code,parent_code,level,name
TB,,province,Hội LHPN tỉnh Thái Bình
TB-DH,TB,district,Hội LHPN huyện Đông Hưng
TB-DH-DHOP,TB-DH,grassroots,Hội LHPN xã Đông Hợp
TB-DH-DHOP-T1,TB-DH-DHOP,branch,Chi hội phụ nữ thôn Đồng Thanh
";

    // --- Level ---

    #[test]
    fn level_names_parse_ignoring_case_and_surrounding_spaces() {
        assert_eq!("province".parse(), Ok(Level::Province));
        assert_eq!(" Grassroots ".parse(), Ok(Level::Grassroots));
        assert_eq!("BRANCH".parse(), Ok(Level::Branch));
        for level in Level::ALL {
            assert_eq!(level.as_str().parse(), Ok(level));
        }
    }

    #[test]
    fn unknown_level_error_names_every_accepted_level() {
        let err = "xã".parse::<Level>().unwrap_err();
        assert_eq!(err.input, "xã");
        let message = err.to_string();
        for level in Level::ALL {
            assert!(message.contains(level.as_str()), "{message}");
        }
    }

    #[test]
    fn level_rank_grows_from_province_down_to_group() {
        let ranks: Vec<u8> = Level::ALL.iter().map(|l| l.rank()).collect();
        assert_eq!(ranks, [0, 1, 2, 3, 4]);
        assert!(Level::Province < Level::Group);
    }

    #[test]
    fn level_serializes_as_its_lowercase_name() {
        assert_eq!(
            serde_json::to_string(&Level::Grassroots).unwrap(),
            "\"grassroots\""
        );
        assert_eq!(
            serde_json::from_str::<Level>("\"branch\"").unwrap(),
            Level::Branch
        );
    }

    // --- UnitCode ---

    #[test]
    fn unit_code_accepts_ascii_letters_digits_dash_underscore_and_dot() {
        assert_eq!(code("TB-DH_2.a").as_str(), "TB-DH_2.a");
    }

    #[test]
    fn unit_code_is_trimmed() {
        assert_eq!(code("  TB-DH \t").as_str(), "TB-DH");
    }

    #[test]
    fn unit_code_must_not_be_empty_or_blank() {
        assert_eq!("".parse::<UnitCode>(), Err(UnitCodeError::Empty));
        assert_eq!("   ".parse::<UnitCode>(), Err(UnitCodeError::Empty));
    }

    #[test]
    fn unit_code_of_32_characters_is_accepted_and_of_33_refused() {
        assert!("A".repeat(32).parse::<UnitCode>().is_ok());
        assert_eq!(
            "A".repeat(33).parse::<UnitCode>(),
            Err(UnitCodeError::TooLong { len: 33 })
        );
    }

    #[test]
    fn unit_code_refuses_vietnamese_letters_spaces_and_slashes() {
        assert_eq!(
            "TB-ĐH".parse::<UnitCode>(),
            Err(UnitCodeError::BadChar { found: 'Đ' })
        );
        assert_eq!(
            "TB DH".parse::<UnitCode>(),
            Err(UnitCodeError::BadChar { found: ' ' })
        );
        assert_eq!(
            "TB/DH".parse::<UnitCode>(),
            Err(UnitCodeError::BadChar { found: '/' })
        );
    }

    #[test]
    fn unit_code_is_case_sensitive() {
        assert_ne!(code("tb"), code("TB"));
    }

    #[test]
    fn unit_code_serializes_as_a_bare_string_and_deserializing_validates() {
        assert_eq!(serde_json::to_string(&code("TB-DH")).unwrap(), "\"TB-DH\"");
        assert_eq!(
            serde_json::from_str::<UnitCode>("\"TB-DH\"").unwrap(),
            code("TB-DH")
        );
        assert!(serde_json::from_str::<UnitCode>("\"TB ĐH\"").is_err());
    }

    // --- parse_org_csv ---

    #[test]
    fn valid_file_with_vietnamese_diacritics_parses_with_line_numbers() {
        let records = parse(THAI_BINH_SMALL).unwrap();
        assert_eq!(records.len(), 4);
        assert_eq!(
            records[3],
            UnitRecord {
                line: 5,
                code: code("TB-DH-DHOP-T1"),
                parent: Some(code("TB-DH-DHOP")),
                level: Level::Branch,
                name: "Chi hội phụ nữ thôn Đồng Thanh".to_owned(),
            }
        );
        assert_eq!(records[0].line, 2);
        assert_eq!(records[0].parent, None);
        assert_eq!(records[0].name, "Hội LHPN tỉnh Thái Bình");
    }

    #[test]
    fn header_columns_may_come_in_any_order_with_extra_columns_ignored() {
        let records =
            parse("Name, Level ,note,Code,parent_code\nHội LHPN tỉnh Thái Bình,province,x,TB,\n")
                .unwrap();
        assert_eq!(records[0].code, code("TB"));
        assert_eq!(records[0].level, Level::Province);
        assert_eq!(records[0].name, "Hội LHPN tỉnh Thái Bình");
    }

    #[test]
    fn names_typed_decomposed_are_stored_composed() {
        let decomposed =
            "code,parent_code,level,name\nTB,,province,Ti\u{309}nh Tha\u{301}i Bi\u{300}nh\n";
        let units = parse_org_csv(decomposed.as_bytes()).unwrap();
        assert_eq!(units[0].name, "Tỉnh Thái Bình");
    }

    #[test]
    fn fields_are_trimmed_and_inner_spaces_in_names_folded() {
        let records =
            parse("code,parent_code,level,name\n TB , , Province ,  Hội  LHPN\ttỉnh  \n").unwrap();
        assert_eq!(records[0].code, code("TB"));
        assert_eq!(records[0].parent, None);
        assert_eq!(records[0].name, "Hội LHPN tỉnh");
    }

    #[test]
    fn quoted_names_may_contain_commas() {
        let records = parse(
            "code,parent_code,level,name\nTB,,province,\"Hội LHPN tỉnh Thái Bình, khóa XV\"\n",
        )
        .unwrap();
        assert_eq!(records[0].name, "Hội LHPN tỉnh Thái Bình, khóa XV");
    }

    #[test]
    fn utf8_byte_order_mark_is_tolerated() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(THAI_BINH_SMALL.as_bytes());
        let records = parse_org_csv(&bytes).unwrap();
        assert_eq!(records.len(), 4);
        assert_eq!(records[0].code, code("TB"));
    }

    #[test]
    fn blank_lines_and_rows_of_commas_are_skipped_but_still_counted() {
        let records = parse(
            "code,parent_code,level,name\r\n\r\nTB,,province,Tỉnh\r\n,,,\r\n   \r\nTB-DH,TB,district,Huyện\r\n",
        )
        .unwrap();
        assert_eq!(codes(&records), ["TB", "TB-DH"]);
        assert_eq!(records[0].line, 3);
        assert_eq!(records[1].line, 6);
    }

    #[test]
    fn line_numbers_stay_true_after_a_quoted_name_spanning_two_lines() {
        let err = parse(
            "code,parent_code,level,name\r\n\r\nTB,,province,\"Hội LHPN\r\ntỉnh\"\r\n\r\nTB-DH,TB,huyện,Huyện\r\n",
        )
        .unwrap_err();
        assert_eq!(err.line(), 6);
    }

    #[test]
    fn semicolon_separated_file_from_excel_with_vietnamese_settings_parses() {
        let records =
            parse("code;parent_code;level;name\nTB;;province;Hội LHPN tỉnh Thái Bình\n").unwrap();
        assert_eq!(records[0].code, code("TB"));
        assert_eq!(records[0].name, "Hội LHPN tỉnh Thái Bình");
    }

    #[test]
    fn header_only_file_has_no_records() {
        assert_eq!(parse("code,parent_code,level,name\n"), Ok(vec![]));
    }

    #[test]
    fn windows_1258_bytes_are_refused_with_their_line() {
        // "Hội" in Windows-1258 is H, 0xF4 (ô), combining dot below 0xF2, i.
        let bytes =
            b"code,parent_code,level,name\nTB,,province,Tinh\nTB-DH,TB,district,H\xF4\xF2i\n";
        let err = parse_org_csv(bytes).unwrap_err();
        assert_eq!(err, OrgFileError::NotUtf8 { line: 3 });
        assert!(err.to_string().contains("CSV UTF-8"), "{err}");
    }

    #[test]
    fn utf16_file_is_refused_on_line_1() {
        let utf16: Vec<u8> = "\u{feff}code,parent_code,level,name\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(
            parse_org_csv(&utf16),
            Err(OrgFileError::NotUtf8 { line: 1 })
        );
        let no_bom = &utf16[2..];
        assert_eq!(
            parse_org_csv(no_bom),
            Err(OrgFileError::NotUtf8 { line: 1 })
        );
    }

    #[test]
    fn missing_column_is_named() {
        assert_eq!(
            parse("code,parent,level,name\nTB,,province,Tỉnh\n"),
            Err(OrgFileError::MissingColumn("parent_code"))
        );
        assert_eq!(parse(""), Err(OrgFileError::MissingColumn("code")));
    }

    #[test]
    fn row_with_too_few_fields_is_a_csv_error_on_its_line() {
        let err = parse("code,parent_code,level,name\nTB,,province,Tỉnh\nTB-DH,TB,district\n")
            .unwrap_err();
        assert!(matches!(err, OrgFileError::Csv { line: 3, .. }), "{err:?}");
        assert!(err.to_string().contains("`name`"), "{err}");
    }

    #[test]
    fn bad_code_is_reported_with_its_line_and_column() {
        assert_eq!(
            parse("code,parent_code,level,name\nTB,,province,Tỉnh\nTB-ĐH,TB,district,Huyện\n"),
            Err(OrgFileError::BadCode {
                line: 3,
                column: "code",
                value: "TB-ĐH".to_owned(),
                reason: UnitCodeError::BadChar { found: 'Đ' },
            })
        );
    }

    #[test]
    fn bad_parent_code_is_reported_with_its_line_and_column() {
        assert_eq!(
            parse("code,parent_code,level,name\nTB,,province,Tỉnh\nTB-DH,T B,district,Huyện\n"),
            Err(OrgFileError::BadCode {
                line: 3,
                column: "parent_code",
                value: "T B".to_owned(),
                reason: UnitCodeError::BadChar { found: ' ' },
            })
        );
    }

    #[test]
    fn bad_level_is_reported_with_its_line() {
        let err = parse("code,parent_code,level,name\nTB,,province,Tỉnh\nTB-DH,TB,huyện,Huyện\n")
            .unwrap_err();
        assert_eq!(
            err,
            OrgFileError::BadLevel {
                line: 3,
                value: "huyện".to_owned()
            }
        );
        assert!(err.to_string().contains("grassroots"), "{err}");
    }

    #[test]
    fn empty_name_is_reported_with_its_line() {
        assert_eq!(
            parse("code,parent_code,level,name\nTB,,province,Tỉnh\nTB-DH,TB,district,  \n"),
            Err(OrgFileError::EmptyName { line: 3 })
        );
    }

    #[test]
    fn name_of_200_characters_is_accepted_and_of_201_refused() {
        let ok = format!(
            "code,parent_code,level,name\nTB,,province,{}\n",
            "ộ".repeat(200)
        );
        assert!(parse(&ok).is_ok());
        let long = format!(
            "code,parent_code,level,name\nTB,,province,{}\n",
            "ộ".repeat(201)
        );
        assert_eq!(
            parse(&long),
            Err(OrgFileError::NameTooLong {
                line: 2,
                chars: 201
            })
        );
    }

    // --- plan_import ---

    #[test]
    fn new_file_plans_every_row_as_an_insert_in_file_order() {
        let plan = plan(THAI_BINH_SMALL).unwrap();
        assert_eq!(
            codes(&plan.inserts),
            ["TB", "TB-DH", "TB-DH-DHOP", "TB-DH-DHOP-T1"]
        );
        assert!(plan.renames.is_empty());
        assert_eq!(plan.unchanged, 0);
    }

    #[test]
    fn parent_defined_later_in_the_file_is_inserted_first() {
        let plan = plan(
            "code,parent_code,level,name\n\
             TB-DH-DHOP,TB-DH,grassroots,Hội LHPN xã Đông Hợp\n\
             TB-DH,TB,district,Hội LHPN huyện Đông Hưng\n\
             TB-HH,TB,district,Hội LHPN huyện Hưng Hà\n\
             TB,,province,Hội LHPN tỉnh Thái Bình\n",
        )
        .unwrap();
        assert_eq!(codes(&plan.inserts), ["TB", "TB-DH", "TB-DH-DHOP", "TB-HH"]);
        assert_eq!(plan.inserts[0].line, 5);
    }

    #[test]
    fn skipping_the_district_level_is_allowed() {
        let plan = plan(
            "code,parent_code,level,name\n\
             HY,,province,Hội LHPN tỉnh Hưng Yên\n\
             HY-DHUNG,HY,grassroots,Hội LHPN xã Đông Hưng\n\
             HY-DHUNG-T1,HY-DHUNG,branch,Chi hội phụ nữ thôn Đông Hợp\n",
        )
        .unwrap();
        assert_eq!(plan.inserts.len(), 3);
        assert_eq!(plan.inserts[1].level, Level::Grassroots);
        assert_eq!(plan.inserts[1].parent, Some(code("HY")));
    }

    #[test]
    fn several_provinces_may_be_imported_at_once() {
        let plan =
            plan("code,parent_code,level,name\nTB,,province,Thái Bình\nHY,,province,Hưng Yên\n")
                .unwrap();
        assert_eq!(codes(&plan.inserts), ["TB", "HY"]);
    }

    #[test]
    fn importing_the_same_file_again_changes_nothing() {
        let first = plan(THAI_BINH_SMALL).unwrap();
        let existing = stored(&first.inserts);
        let again = plan_import(parse(THAI_BINH_SMALL).unwrap(), &existing).unwrap();
        assert_eq!(
            again,
            ImportPlan {
                inserts: vec![],
                renames: vec![],
                unchanged: 4
            }
        );
    }

    #[test]
    fn new_name_for_an_existing_unit_is_a_rename() {
        let existing = stored(&parse(THAI_BINH_SMALL).unwrap());
        let renamed = THAI_BINH_SMALL.replace("thôn Đồng Thanh", "thôn Đồng Thanh Mới");
        let plan = plan_import(parse(&renamed).unwrap(), &existing).unwrap();
        assert!(plan.inserts.is_empty());
        assert_eq!(plan.unchanged, 3);
        assert_eq!(plan.renames.len(), 1);
        assert_eq!(plan.renames[0].code, code("TB-DH-DHOP-T1"));
        assert_eq!(plan.renames[0].line, 5);
        assert_eq!(plan.renames[0].name, "Chi hội phụ nữ thôn Đồng Thanh Mới");
    }

    #[test]
    fn new_units_may_hang_under_existing_ones_not_in_the_file() {
        let existing = stored(&parse(THAI_BINH_SMALL).unwrap());
        let plan = plan_import(
            parse(
                "code,parent_code,level,name\n\
                 TB-DH-DHOP-T2,TB-DH-DHOP,branch,Chi hội phụ nữ thôn Lạc Thành\n",
            )
            .unwrap(),
            &existing,
        )
        .unwrap();
        assert_eq!(codes(&plan.inserts), ["TB-DH-DHOP-T2"]);
        assert_eq!(plan.unchanged, 0);
    }

    #[test]
    fn duplicate_code_names_both_lines() {
        assert_eq!(
            plan(
                "code,parent_code,level,name\n\
                 TB,,province,Tỉnh\n\
                 TB-DH,TB,district,Đông Hưng\n\
                 TB-DH,TB,district,Đông Hưng lần nữa\n"
            ),
            Err(OrgFileError::DuplicateCode {
                line: 4,
                first_line: 3,
                code: code("TB-DH")
            })
        );
    }

    #[test]
    fn unknown_parent_is_reported_with_its_line() {
        assert_eq!(
            plan(
                "code,parent_code,level,name\n\
                 TB,,province,Tỉnh\n\
                 TB-DH,TB,district,Đông Hưng\n\
                 TB-HH-TLE,TB-HH,grassroots,Hội LHPN xã Tân Lễ\n"
            ),
            Err(OrgFileError::UnknownParent {
                line: 4,
                code: code("TB-HH-TLE"),
                parent: code("TB-HH")
            })
        );
    }

    #[test]
    fn loop_of_parents_is_a_cycle_reported_on_its_first_line() {
        let err = plan(
            "code,parent_code,level,name\n\
             TB,,province,Tỉnh\n\
             A,B,district,A\n\
             B,C,district,B\n\
             C,A,district,C\n",
        )
        .unwrap_err();
        assert_eq!(
            err,
            OrgFileError::Cycle {
                line: 3,
                code: code("A"),
                chain: vec![code("A"), code("B"), code("C"), code("A")]
            }
        );
        assert!(err.to_string().contains("A → B → C → A"), "{err}");
    }

    #[test]
    fn unit_that_is_its_own_parent_is_a_cycle() {
        assert_eq!(
            plan("code,parent_code,level,name\nTB,TB,province,Tỉnh\n"),
            Err(OrgFileError::Cycle {
                line: 2,
                code: code("TB"),
                chain: vec![code("TB"), code("TB")]
            })
        );
    }

    #[test]
    fn unit_at_its_parents_level_or_above_is_refused() {
        assert_eq!(
            plan(
                "code,parent_code,level,name\n\
                 TB,,province,Tỉnh\n\
                 TB-DH,TB,district,Đông Hưng\n\
                 TB-DH-X,TB-DH,district,Sai cấp\n"
            ),
            Err(OrgFileError::LevelNotBelowParent {
                line: 4,
                code: code("TB-DH-X"),
                level: Level::District,
                parent: code("TB-DH"),
                parent_level: Level::District
            })
        );
    }

    #[test]
    fn level_is_checked_against_a_stored_parent() {
        let existing = stored(&parse(THAI_BINH_SMALL).unwrap());
        assert_eq!(
            plan_import(
                parse("code,parent_code,level,name\nX,TB-DH-DHOP-T1,grassroots,Sai\n").unwrap(),
                &existing
            ),
            Err(OrgFileError::LevelNotBelowParent {
                line: 2,
                code: code("X"),
                level: Level::Grassroots,
                parent: code("TB-DH-DHOP-T1"),
                parent_level: Level::Branch
            })
        );
    }

    #[test]
    fn moving_an_existing_unit_to_another_parent_is_refused() {
        let mut existing = stored(&parse(THAI_BINH_SMALL).unwrap());
        existing.push(ExistingUnit {
            code: code("TB-HH"),
            parent: Some(code("TB")),
            level: Level::District,
            name: "Hội LHPN huyện Hưng Hà".to_owned(),
        });
        let moved = THAI_BINH_SMALL.replace("TB-DH-DHOP,TB-DH,", "TB-DH-DHOP,TB-HH,");
        assert_eq!(
            plan_import(parse(&moved).unwrap(), &existing),
            Err(OrgFileError::Reparent {
                line: 4,
                code: code("TB-DH-DHOP"),
                old_parent: Some(code("TB-DH")),
                new_parent: Some(code("TB-HH")),
                old_level: Level::Grassroots,
                new_level: Level::Grassroots
            })
        );
    }

    #[test]
    fn changing_the_level_of_an_existing_unit_is_refused() {
        let existing = stored(&parse(THAI_BINH_SMALL).unwrap());
        let relevelled =
            THAI_BINH_SMALL.replace("TB-DH-DHOP,TB-DH,grassroots", "TB-DH-DHOP,TB-DH,branch");
        let err = plan_import(parse(&relevelled).unwrap(), &existing).unwrap_err();
        assert!(
            matches!(
                err,
                OrgFileError::Reparent {
                    line: 4,
                    old_level: Level::Grassroots,
                    new_level: Level::Branch,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(err.line(), 4);
    }

    #[test]
    fn first_failing_line_is_reported_whatever_the_kind_of_error() {
        let err = plan(
            "code,parent_code,level,name\n\
             TB,,province,Tỉnh\n\
             TB-DH,TB,province,Sai cấp\n\
             TB-DH,TB,district,Trùng mã\n",
        )
        .unwrap_err();
        assert_eq!(err.line(), 3);
        assert!(matches!(err, OrgFileError::LevelNotBelowParent { .. }));
    }

    // --- render_tree ---

    fn thai_binh_units() -> Vec<ExistingUnit> {
        stored(
            &parse(
                "code,parent_code,level,name\n\
                 TB,,province,Hội LHPN tỉnh Thái Bình\n\
                 TB-HH,TB,district,Hội LHPN huyện Hưng Hà\n\
                 TB-DH,TB,district,Hội LHPN huyện Đông Hưng\n\
                 TB-DH-DLA,TB-DH,grassroots,Hội LHPN xã Đông La\n\
                 TB-DH-DHOP,TB-DH,grassroots,Hội LHPN xã Đông Hợp\n\
                 TB-DH-DHOP-T2,TB-DH-DHOP,branch,Chi hội phụ nữ thôn Lạc Thành\n\
                 TB-DH-DHOP-T1,TB-DH-DHOP,branch,Chi hội phụ nữ thôn Đồng Thanh\n",
            )
            .unwrap(),
        )
    }

    #[test]
    fn whole_tree_is_indented_two_spaces_per_depth_with_children_sorted_by_code() {
        assert_eq!(
            render_tree(&thai_binh_units(), None).unwrap(),
            "\
TB  Hội LHPN tỉnh Thái Bình  (province)
  TB-DH  Hội LHPN huyện Đông Hưng  (district)
    TB-DH-DHOP  Hội LHPN xã Đông Hợp  (grassroots)
      TB-DH-DHOP-T1  Chi hội phụ nữ thôn Đồng Thanh  (branch)
      TB-DH-DHOP-T2  Chi hội phụ nữ thôn Lạc Thành  (branch)
    TB-DH-DLA  Hội LHPN xã Đông La  (grassroots)
  TB-HH  Hội LHPN huyện Hưng Hà  (district)
"
        );
    }

    #[test]
    fn subtree_starts_at_the_given_unit_without_indent() {
        assert_eq!(
            render_tree(&thai_binh_units(), Some(&code("TB-DH"))).unwrap(),
            "\
TB-DH  Hội LHPN huyện Đông Hưng  (district)
  TB-DH-DHOP  Hội LHPN xã Đông Hợp  (grassroots)
    TB-DH-DHOP-T1  Chi hội phụ nữ thôn Đồng Thanh  (branch)
    TB-DH-DHOP-T2  Chi hội phụ nữ thôn Lạc Thành  (branch)
  TB-DH-DLA  Hội LHPN xã Đông La  (grassroots)
"
        );
    }

    #[test]
    fn subtree_of_an_unknown_code_is_an_error() {
        assert_eq!(
            render_tree(&thai_binh_units(), Some(&code("TB-XX"))),
            Err(UnknownUnit(code("TB-XX")))
        );
    }

    #[test]
    fn several_roots_are_listed_in_code_order() {
        let units = stored(
            &parse("code,parent_code,level,name\nTB,,province,Thái Bình\nHY,,province,Hưng Yên\n")
                .unwrap(),
        );
        assert_eq!(
            render_tree(&units, None).unwrap(),
            "HY  Hưng Yên  (province)\nTB  Thái Bình  (province)\n"
        );
    }

    // --- example files ---

    fn example(name: &str) -> ImportPlan {
        let path = format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).unwrap();
        plan(std::str::from_utf8(&bytes).unwrap()).unwrap_or_else(|err| panic!("{path}: {err}"))
    }

    fn count(plan: &ImportPlan, level: Level) -> usize {
        plan.inserts.iter().filter(|r| r.level == level).count()
    }

    #[test]
    fn thai_binh_example_has_one_province_eight_districts_and_units_below_each() {
        let plan = example("org-thai-binh.csv");
        assert_eq!(count(&plan, Level::Province), 1);
        assert_eq!(count(&plan, Level::District), 8);
        assert_eq!(count(&plan, Level::Grassroots), 24);
        assert_eq!(count(&plan, Level::Branch), 69);
        assert_eq!(count(&plan, Level::Group), 2);
        let districts: Vec<&UnitRecord> = plan
            .inserts
            .iter()
            .filter(|r| r.level == Level::District)
            .collect();
        for district in districts {
            let communes: Vec<&UnitRecord> = plan
                .inserts
                .iter()
                .filter(|r| r.parent.as_ref() == Some(&district.code))
                .collect();
            assert!((2..=3).contains(&communes.len()), "{}", district.code);
            for commune in communes {
                let branches = plan
                    .inserts
                    .iter()
                    .filter(|r| r.parent.as_ref() == Some(&commune.code))
                    .count();
                assert!((2..=4).contains(&branches), "{}", commune.code);
            }
        }
    }

    #[test]
    fn two_tier_example_goes_from_province_straight_to_communes() {
        let plan = example("org-two-tier.csv");
        assert_eq!(count(&plan, Level::Province), 1);
        assert_eq!(count(&plan, Level::District), 0);
        assert_eq!(count(&plan, Level::Grassroots), 3);
        assert!(count(&plan, Level::Branch) >= 6);
        let tree = render_tree(&stored(&plan.inserts), None).unwrap();
        assert!(
            tree.starts_with("HY  Hội LHPN tỉnh Hưng Yên  (province)\n"),
            "{tree}"
        );
    }
}
