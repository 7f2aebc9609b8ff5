//! How statements reach the database: sqlx's query API (`query`, `query_as`, `query_scalar`,
//! `bind`, `execute`, `fetch_one`, `fetch_optional`, `fetch_all`) over a [`Conn`] that is either
//! a sqlx connection (PostgreSQL) or a SQLite connection of rusqlite's that runs each statement
//! in place, on the calling task.
//!
//! Why not sqlx for SQLite too: its driver runs every statement on a worker thread of the
//! connection's own and passes arguments and rows across threads through channels. A dialog
//! step's statements take microseconds in SQLite; the hand-offs cost more. A profile of the
//! dialog bench put 44% of the bot's CPU in sqlx's SQLite worker threads and 64% in the kernel
//! (thread switches, futex waits), SQLite's own code at 1.4% (docs/BENCHMARKS.md §3). Here a
//! step's transaction makes no thread hop at all.
//!
//! SQLite allows one writer at a time. Writers here queue on an async lock (a transaction holds
//! it from `BEGIN IMMEDIATE` to its end, a lone write statement for that statement), so a task
//! never blocks its thread in SQLite's busy handler waiting for another task of this process.
//! Readers run beside the writer (WAL). Another process on the same file (a CLI command beside
//! `chihoi serve`, or a test holding a lock) can still make SQLite answer "busy": a statement
//! outside a transaction and a transaction's `BEGIN IMMEDIATE` are then tried again after an
//! async sleep, for up to ten seconds, as SQLite's own busy handler would, but without blocking
//! the thread.

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::types::Value as LiteValue;
use sqlx::any::AnyRow;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Column as _, Row as _, ValueRef as _};
use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

/// How long a task waits for a connection or for its turn to write before it gives up, as
/// sqlx's pool did (`acquire_timeout`).
const WAIT: Duration = Duration::from_secs(30);
/// How long a statement is tried again while another process holds SQLite's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// The waits between those tries, the last repeated (as SQLite's busy handler).
const BUSY_WAITS_MS: [u64; 8] = [1, 2, 5, 10, 15, 20, 25, 50];
/// Prepared statements kept per connection (the app has fewer than this many distinct ones on
/// its hot paths).
const STATEMENT_CACHE: usize = 256;

type Result<T, E = sqlx::Error> = std::result::Result<T, E>;

// ---------------------------------------------------------------------------------------------
// Values in and out

/// What a bound `NULL` stands for, so that PostgreSQL gets the parameter's type.
#[derive(Debug, Clone, Copy)]
pub enum NullKind {
    Bool,
    I32,
    I64,
    F64,
    Text,
    Blob,
}

/// An argument of a statement.
#[derive(Debug, Clone)]
pub enum Value {
    Null(NullKind),
    Bool(bool),
    I32(i32),
    I64(i64),
    F64(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A Rust value that can be bound to a statement.
pub trait Encode {
    fn encode(&self) -> Value;
    fn null_kind() -> NullKind;
}

macro_rules! encode {
    ($($t:ty => $kind:ident, $v:ident => $e:expr;)*) => {$(
        impl Encode for $t {
            fn encode(&self) -> Value {
                let $v = self;
                $e
            }
            fn null_kind() -> NullKind {
                NullKind::$kind
            }
        }
    )*};
}

encode! {
    bool => Bool, v => Value::Bool(*v);
    i32 => I32, v => Value::I32(*v);
    i64 => I64, v => Value::I64(*v);
    f64 => F64, v => Value::F64(*v);
    str => Text, v => Value::Text(v.to_owned());
    String => Text, v => Value::Text(v.clone());
    [u8] => Blob, v => Value::Blob(v.to_vec());
    Vec<u8> => Blob, v => Value::Blob(v.clone());
}

impl<T: Encode + ?Sized> Encode for &T {
    fn encode(&self) -> Value {
        (**self).encode()
    }
    fn null_kind() -> NullKind {
        T::null_kind()
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encode(&self) -> Value {
        match self {
            Some(v) => v.encode(),
            None => Value::Null(T::null_kind()),
        }
    }
    fn null_kind() -> NullKind {
        T::null_kind()
    }
}

/// A Rust value a column can be read as.
pub trait Decode: Sized {
    /// From a SQLite value; `Err` says what was there instead.
    fn from_lite(value: &LiteValue) -> std::result::Result<Self, String>;
    fn from_any(row: &AnyRow, index: usize) -> Result<Self>;
}

fn found(value: &LiteValue) -> String {
    format!("found {:?}", value.data_type())
}

macro_rules! decode {
    ($($t:ty, $v:ident => $e:expr;)*) => {$(
        impl Decode for $t {
            fn from_lite($v: &LiteValue) -> std::result::Result<Self, String> {
                $e
            }
            fn from_any(row: &AnyRow, index: usize) -> Result<Self> {
                row.try_get(index)
            }
        }
    )*};
}

decode! {
    i64, v => match v {
        LiteValue::Integer(i) => Ok(*i),
        other => Err(found(other)),
    };
    i32, v => match v {
        LiteValue::Integer(i) => i32::try_from(*i).map_err(|e| e.to_string()),
        other => Err(found(other)),
    };
    bool, v => match v {
        LiteValue::Integer(i) => Ok(*i != 0),
        other => Err(found(other)),
    };
    f64, v => match v {
        LiteValue::Real(f) => Ok(*f),
        // SQLite keeps a whole number in a REAL column as an integer.
        LiteValue::Integer(i) => Ok(*i as f64),
        other => Err(found(other)),
    };
    String, v => match v {
        LiteValue::Text(s) => Ok(s.clone()),
        other => Err(found(other)),
    };
    Vec<u8>, v => match v {
        LiteValue::Blob(b) => Ok(b.clone()),
        LiteValue::Text(s) => Ok(s.as_bytes().to_vec()),
        other => Err(found(other)),
    };
}

impl<T: Decode> Decode for Option<T> {
    fn from_lite(value: &LiteValue) -> std::result::Result<Self, String> {
        match value {
            LiteValue::Null => Ok(None),
            other => T::from_lite(other).map(Some),
        }
    }
    fn from_any(row: &AnyRow, index: usize) -> Result<Self> {
        if row.try_get_raw(index)?.is_null() {
            Ok(None)
        } else {
            T::from_any(row, index).map(Some)
        }
    }
}

/// A row as read.
pub enum Row {
    Lite {
        values: Vec<LiteValue>,
        /// The column names, where the caller reads columns by name (`query`).
        names: Option<Arc<[String]>>,
    },
    Any(AnyRow),
}

/// A column by position or by name.
pub trait ColumnIndex: std::fmt::Debug {
    fn index_in(&self, row: &Row) -> Result<usize>;
}

impl ColumnIndex for usize {
    fn index_in(&self, row: &Row) -> Result<usize> {
        let len = match row {
            Row::Lite { values, .. } => values.len(),
            Row::Any(row) => row.len(),
        };
        if *self < len {
            Ok(*self)
        } else {
            Err(sqlx::Error::ColumnIndexOutOfBounds { index: *self, len })
        }
    }
}

impl ColumnIndex for &str {
    fn index_in(&self, row: &Row) -> Result<usize> {
        let at = match row {
            Row::Lite { names, .. } => names.iter().flat_map(|n| n.iter()).position(|n| n == self),
            Row::Any(row) => row.columns().iter().position(|c| c.name() == *self),
        };
        at.ok_or_else(|| sqlx::Error::ColumnNotFound((*self).to_owned()))
    }
}

impl Row {
    pub fn try_get<T: Decode, I: ColumnIndex>(&self, index: I) -> Result<T> {
        let at = index.index_in(self)?;
        match self {
            Row::Lite { values, .. } => {
                T::from_lite(&values[at]).map_err(|why| sqlx::Error::ColumnDecode {
                    index: format!("{index:?}"),
                    source: why.into(),
                })
            }
            Row::Any(row) => T::from_any(row, at),
        }
    }

    /// As [`Row::try_get`]; panics where that fails (a column the statement does not select or
    /// of another type: a bug, not a state of the data).
    pub fn get<T: Decode, I: ColumnIndex>(&self, index: I) -> T {
        match self.try_get(index) {
            Ok(value) => value,
            Err(e) => panic!("reading a column: {e}"),
        }
    }
}

/// A row read as a tuple of columns.
pub trait FromRow: Sized {
    fn from_row(row: &Row) -> Result<Self>;
}

macro_rules! tuples {
    ($(($($t:ident $i:tt),+))*) => {$(
        impl<$($t: Decode),+> FromRow for ($($t,)+) {
            fn from_row(row: &Row) -> Result<Self> {
                Ok(($(row.try_get::<$t, usize>($i)?,)+))
            }
        }
    )*};
}

tuples! {
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15)
}

// ---------------------------------------------------------------------------------------------
// Statements

/// What `execute` tells.
#[derive(Debug, Clone, Copy)]
pub struct Done {
    rows_affected: u64,
}

impl Done {
    pub fn rows_affected(&self) -> u64 {
        self.rows_affected
    }
}

/// How many rows a caller reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Nothing,
    First,
    All,
}

/// What a statement gave: the rows read (as many as wanted), and how many it changed.
struct Outcome {
    rows: Vec<Row>,
    rows_affected: u64,
}

/// What a statement reads each row as.
pub trait Out {
    type Item;
    /// Whether rows are read by column name (SQLite then copies the names into each row set).
    const BY_NAME: bool = false;
    fn convert(row: Row) -> Result<Self::Item>;
}

/// Rows read as they are (`query`).
pub struct Rows;
impl Out for Rows {
    type Item = Row;
    const BY_NAME: bool = true;
    fn convert(row: Row) -> Result<Row> {
        Ok(row)
    }
}

/// Rows read as tuples (`query_as`).
pub struct As<O>(PhantomData<O>);
impl<O: FromRow> Out for As<O> {
    type Item = O;
    fn convert(row: Row) -> Result<O> {
        O::from_row(&row)
    }
}

/// Rows read as their first column (`query_scalar`).
pub struct First<T>(PhantomData<T>);
impl<T: Decode> Out for First<T> {
    type Item = T;
    fn convert(row: Row) -> Result<T> {
        row.try_get(0)
    }
}

/// A statement with its arguments (`$1`, `$2`, … in both dialects), its rows read as `O` says.
#[must_use = "a statement does nothing until it is run"]
pub struct Query<'q, O = Rows> {
    sql: &'q str,
    args: Vec<Value>,
    persistent: bool,
    /// May carry the transaction's held-back writes ([`Query::carrying`]).
    carrying: bool,
    out: PhantomData<fn() -> O>,
}

/// `$after+1, $after+2, …`: `n` numbered placeholders, for a list bound after the first
/// `after` arguments (`IN (…)`).
pub fn placeholders(after: usize, n: usize) -> String {
    (after + 1..=after + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A statement whose rows are read as [`Row`]s.
pub fn query(sql: &str) -> Query<'_> {
    Query::new(sql)
}

/// A statement whose rows are read as tuples.
pub fn query_as<O: FromRow>(sql: &str) -> Query<'_, As<O>> {
    Query::new(sql)
}

/// A statement whose rows are read as their first column.
pub fn query_scalar<T: Decode>(sql: &str) -> Query<'_, First<T>> {
    Query::new(sql)
}

impl<'q, O: Out> Query<'q, O> {
    fn new(sql: &'q str) -> Self {
        Self {
            sql,
            args: Vec::new(),
            persistent: true,
            carrying: false,
            out: PhantomData,
        }
    }

    pub fn bind<V: Encode>(mut self, value: V) -> Self {
        self.args.push(value.encode());
        self
    }

    /// `false`: PostgreSQL plans the statement for its arguments each time it runs, instead of
    /// keeping it prepared, where after five runs it may settle on one generic plan. For
    /// statements over a subtree, whose best plan depends on the unit (a commune or the whole
    /// province). On SQLite such a statement may read for a while, so it runs without holding
    /// up the runtime's worker (see [`long`]).
    pub fn persistent(mut self, persistent: bool) -> Self {
        self.persistent = persistent;
        self
    }

    /// This statement reads and writes no row that a held-back write of its transaction
    /// ([`Query::defer`]) touches, so on PostgreSQL those writes may travel inside it, as
    /// data-modifying `WITH` parts: one round trip for them all. (They and it then see the same
    /// snapshot and not each other's changes, hence the promise.)
    pub fn carrying(mut self) -> Self {
        self.carrying = true;
        self
    }

    /// A write whose outcome the caller does not wait for. On PostgreSQL, in a transaction, it
    /// is held back and goes out with the transaction's next statement: inside it when that
    /// one is [`carrying`](Query::carrying), else together with the others held back in one
    /// statement just before it, or before the commit. Every later statement of the
    /// transaction thus still sees it. Elsewhere (SQLite, where a statement costs no round
    /// trip, or outside a transaction) it runs now.
    ///
    /// For writes that do not fail for an expected reason (upserts): a failure shows on the
    /// statement that carried it. Writes held back together do not see each other's changes,
    /// so two of them must not touch one row; the same statement held back twice goes out on
    /// its own first.
    pub async fn defer(self, conn: &mut Conn) -> Result<()> {
        if let Inner::Any(Held::Transaction(tx, held)) = &mut conn.0
            && let Some(sql) = holdable(self.sql)
        {
            if held.iter().any(|w| w.sql == sql) {
                send_held(tx, held).await?;
            }
            held.push(HeldWrite {
                sql,
                args: self.args,
            });
            return Ok(());
        }
        self.execute(conn).await.map(|_| ())
    }

    pub async fn execute(self, conn: &mut Conn) -> Result<Done> {
        let rows_affected = self.run(conn, Want::Nothing).await?.rows_affected;
        Ok(Done { rows_affected })
    }

    pub async fn fetch_one(self, conn: &mut Conn) -> Result<O::Item> {
        self.fetch_optional(conn)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    pub async fn fetch_optional(self, conn: &mut Conn) -> Result<Option<O::Item>> {
        let first = self.run(conn, Want::First).await?.rows.into_iter().next();
        first.map(O::convert).transpose()
    }

    pub async fn fetch_all(self, conn: &mut Conn) -> Result<Vec<O::Item>> {
        let rows = self.run(conn, Want::All).await?.rows;
        rows.into_iter().map(O::convert).collect()
    }

    async fn run(self, conn: &mut Conn, want: Want) -> Result<Outcome> {
        match &mut conn.0 {
            Inner::Lite(lite) => {
                let long = !self.persistent;
                lite.run(self.sql, &self.args, want, O::BY_NAME, long).await
            }
            Inner::Any(Held::Transaction(tx, held)) if !held.is_empty() => {
                if self.carrying
                    && let Some((sql, args)) = carried(held, self.sql, &self.args)
                {
                    held.clear();
                    return run_any(tx, &sql, args, self.persistent, want).await;
                }
                send_held(tx, held).await?;
                run_any(tx, self.sql, self.args, self.persistent, want).await
            }
            Inner::Any(held) => {
                run_any(held.conn(), self.sql, self.args, self.persistent, want).await
            }
        }
    }
}

/// A write held back on a PostgreSQL transaction ([`Query::defer`]).
struct HeldWrite {
    sql: String,
    args: Vec<Value>,
}

/// The statement as it may be held back: an INSERT, UPDATE or DELETE whose placeholders can be
/// renumbered. One with a `WITH` of its own cannot be a `WITH` part, so it is not.
fn holdable(sql: &str) -> Option<String> {
    let sql = sql.trim().trim_end_matches(';').trim_end();
    let verb = sql.split_whitespace().next()?.to_ascii_uppercase();
    let writes = matches!(verb.as_str(), "INSERT" | "UPDATE" | "DELETE");
    (writes && renumbered(sql, 0).is_some()).then(|| sql.to_owned())
}

/// `held` as `WITH` parts of `main`, with every placeholder numbered in one sequence; `None`
/// when `main` cannot take them (a `WITH RECURSIVE`, or text the renumbering does not know).
fn carried(held: &[HeldWrite], main: &str, main_args: &[Value]) -> Option<(String, Vec<Value>)> {
    let main = main.trim();
    let mut parts = Vec::with_capacity(held.len());
    let mut args = Vec::new();
    for (i, write) in held.iter().enumerate() {
        parts.push(format!(
            "chihoi_held_{i} AS ({})",
            renumbered(&write.sql, args.len())?
        ));
        args.extend(write.args.iter().cloned());
    }
    let body = renumbered(main, args.len())?;
    args.extend(main_args.iter().cloned());
    let mut words = body.split_whitespace();
    let first = words.next()?.to_ascii_uppercase();
    let sql = if first == "WITH" {
        if words.next()?.eq_ignore_ascii_case("RECURSIVE") {
            return None;
        }
        // Its own parts follow ours in the one `WITH`.
        format!("WITH {}, {}", parts.join(", "), body[4..].trim_start())
    } else {
        format!("WITH {} {body}", parts.join(", "))
    };
    Some((sql, args))
}

/// Sends the held-back writes: one alone as it is, several as one statement (the last carrying
/// the others).
async fn send_held(tx: &mut AnyConnection, held: &mut Vec<HeldWrite>) -> Result<()> {
    let Some(last) = held.pop() else {
        return Ok(());
    };
    let writes = std::mem::take(held);
    let (sql, args) = if writes.is_empty() {
        (last.sql, last.args)
    } else {
        carried(&writes, &last.sql, &last.args).expect("held-back writes renumber")
    };
    run_any(tx, &sql, args, true, Want::Nothing).await?;
    Ok(())
}

/// `sql` with each placeholder `$N` made `$(N + by)`. Quoted text and identifiers and comments
/// are left as they are; `None` for a dollar-quoted string, which this does not read.
fn renumbered(sql: &str, by: usize) -> Option<String> {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '\'' | '"' => {
                // To the closing quote; a doubled quote inside is part of the text.
                out.push(c);
                let mut closed = false;
                while let Some((_, d)) = chars.next() {
                    out.push(d);
                    if d == c {
                        if chars.peek().is_some_and(|&(_, e)| e == c) {
                            let (_, e) = chars.next()?;
                            out.push(e);
                        } else {
                            closed = true;
                            break;
                        }
                    }
                }
                if !closed {
                    return None;
                }
            }
            '-' if sql[at..].starts_with("--") => {
                let end = sql[at..].find('\n').map_or(sql.len(), |n| at + n);
                out.push_str(&sql[at..end]);
                while chars.peek().is_some_and(|&(i, _)| i < end) {
                    chars.next();
                }
            }
            '/' if sql[at..].starts_with("/*") => {
                let end = at + 2 + sql[at + 2..].find("*/")? + 2;
                out.push_str(&sql[at..end]);
                while chars.peek().is_some_and(|&(i, _)| i < end) {
                    chars.next();
                }
            }
            '$' => {
                let digits: String = std::iter::from_fn(|| {
                    chars.next_if(|&(_, d)| d.is_ascii_digit()).map(|(_, d)| d)
                })
                .collect();
                if digits.is_empty() {
                    return None;
                }
                let n: usize = digits.parse().ok()?;
                out.push('$');
                out.push_str(&(n + by).to_string());
            }
            _ => out.push(c),
        }
    }
    Some(out)
}

async fn run_any(
    conn: &mut AnyConnection,
    sql: &str,
    args: Vec<Value>,
    persistent: bool,
    want: Want,
) -> Result<Outcome> {
    let mut query = sqlx::query::<Any>(sql).persistent(persistent);
    for arg in args {
        query = match arg {
            Value::Null(kind) => match kind {
                NullKind::Bool => query.bind(None::<bool>),
                NullKind::I32 => query.bind(None::<i32>),
                NullKind::I64 => query.bind(None::<i64>),
                NullKind::F64 => query.bind(None::<f64>),
                NullKind::Text => query.bind(None::<String>),
                NullKind::Blob => query.bind(None::<Vec<u8>>),
            },
            Value::Bool(v) => query.bind(v),
            Value::I32(v) => query.bind(v),
            Value::I64(v) => query.bind(v),
            Value::F64(v) => query.bind(v),
            Value::Text(v) => query.bind(v),
            Value::Blob(v) => query.bind(v),
        };
    }
    Ok(match want {
        Want::Nothing => Outcome {
            rows: Vec::new(),
            rows_affected: query.execute(conn).await?.rows_affected(),
        },
        Want::First => Outcome {
            rows: query
                .fetch_optional(conn)
                .await?
                .map(Row::Any)
                .into_iter()
                .collect(),
            rows_affected: 0,
        },
        Want::All => Outcome {
            rows: query
                .fetch_all(conn)
                .await?
                .into_iter()
                .map(Row::Any)
                .collect(),
            rows_affected: 0,
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Connections

/// A connection, on either backend; storage functions take `&mut Conn`.
pub struct Conn(Inner);

enum Inner {
    Any(Held),
    Lite(LiteConn),
}

enum Held {
    Pooled(PoolConnection<Any>),
    /// A transaction and its writes held back ([`Query::defer`]).
    Transaction(sqlx::Transaction<'static, Any>, Vec<HeldWrite>),
}

impl Held {
    fn conn(&mut self) -> &mut AnyConnection {
        match self {
            Held::Pooled(conn) => conn,
            Held::Transaction(tx, _) => tx,
        }
    }
}

impl Conn {
    /// Which database this connection is to.
    pub fn backend(&self) -> super::Backend {
        match self.0 {
            Inner::Any(_) => super::Backend::Postgres,
            Inner::Lite(_) => super::Backend::Sqlite,
        }
    }

    pub(super) fn pooled(conn: PoolConnection<Any>) -> Self {
        Conn(Inner::Any(Held::Pooled(conn)))
    }

    pub(super) fn transaction(tx: sqlx::Transaction<'static, Any>) -> Tx {
        Tx(Conn(Inner::Any(Held::Transaction(tx, Vec::new()))))
    }
}

/// A write transaction: a [`Conn`] that commits, or rolls back when dropped.
pub struct Tx(Conn);

impl Deref for Tx {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.0
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.0
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self.0.0 {
            Inner::Any(Held::Transaction(mut tx, mut held)) => {
                send_held(&mut tx, &mut held).await?;
                tx.commit().await
            }
            Inner::Any(Held::Pooled(_)) => Ok(()),
            Inner::Lite(mut lite) => lite.finish("COMMIT"),
        }
    }

    pub async fn rollback(self) -> Result<()> {
        match self.0.0 {
            Inner::Any(Held::Transaction(tx, _)) => tx.rollback().await,
            Inner::Any(Held::Pooled(_)) => Ok(()),
            Inner::Lite(mut lite) => lite.finish("ROLLBACK"),
        }
    }
}

/// SQLite connections of one file, opened as needed up to a bound, and the one write lock.
///
/// A transaction takes the write lock first and then the writer's own connection, which only
/// the lock's holder uses: writers waiting for their turn hold no connection, so however many
/// wait behind a long write (a chunk of a province's announcement), every connection of the
/// bound is left to readers (the courier rendering the messages it sends). A write statement
/// outside a transaction holds its connection while it waits, as it was taken to read first.
pub struct LitePool {
    file: PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
    slots: Arc<Semaphore>,
    writer: Arc<tokio::sync::Mutex<()>>,
    /// The transactions' connection, while no transaction has it.
    writer_conn: Mutex<Option<rusqlite::Connection>>,
}

impl std::fmt::Debug for LitePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LitePool")
            .field("file", &self.file)
            .finish()
    }
}

impl LitePool {
    /// Opens one connection now, so that a file that cannot be opened fails at start.
    pub fn open(file: &Path, connections: usize) -> Result<Arc<Self>> {
        let first = open(file).map_err(lite_error)?;
        Ok(Arc::new(Self {
            file: file.to_owned(),
            idle: Mutex::new(vec![first]),
            slots: Arc::new(Semaphore::new(connections)),
            writer: Arc::new(tokio::sync::Mutex::new(())),
            writer_conn: Mutex::new(None),
        }))
    }

    pub async fn acquire(self: &Arc<Self>) -> Result<Conn> {
        Ok(Conn(Inner::Lite(self.lite().await?)))
    }

    /// A transaction that writes: the write lock first, then the writer's connection (see
    /// [`LitePool`]), then `BEGIN IMMEDIATE`.
    pub async fn begin(self: &Arc<Self>) -> Result<Tx> {
        let turn = self.turn().await?;
        if self.slots.is_closed() {
            return Err(sqlx::Error::PoolClosed);
        }
        let kept = self
            .writer_conn
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let conn = match kept {
            Some(conn) => conn,
            None => open(&self.file).map_err(lite_error)?,
        };
        let mut lite = LiteConn {
            conn: Some(conn),
            pool: self.clone(),
            slot: None,
            writing: None,
            long_writes: false,
        };
        let conn = lite.connection();
        when_not_busy(conn, |c| c.execute_batch("BEGIN IMMEDIATE"))
            .await
            .map_err(lite_error)?;
        lite.writing = Some(turn);
        Ok(Tx(Conn(Inner::Lite(lite))))
    }

    /// This process's turn to write.
    async fn turn(&self) -> Result<OwnedMutexGuard<()>> {
        tokio::time::timeout(WAIT, self.writer.clone().lock_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)
    }

    async fn lite(self: &Arc<Self>) -> Result<LiteConn> {
        let slot = tokio::time::timeout(WAIT, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open(&self.file).map_err(lite_error)?,
        };
        Ok(LiteConn {
            conn: Some(conn),
            pool: self.clone(),
            slot: Some(slot),
            writing: None,
            long_writes: false,
        })
    }

    /// Closes the idle connections (SQLite checkpoints the WAL as the last one closes).
    pub fn close(&self) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.slots.close();
        self.writer_conn
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }
}

fn open(file: &Path) -> rusqlite::Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // No busy handler: it would sleep on the thread ([`when_not_busy`] waits instead).
    conn.busy_timeout(Duration::ZERO)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // As the sqlx pool sets them (`Store::connect`).
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "mmap_size", 268_435_456)?;
    Ok(conn)
}

struct LiteConn {
    conn: Option<rusqlite::Connection>,
    pool: Arc<LitePool>,
    /// The bound's slot; `None` for the writer's connection, which has none.
    slot: Option<OwnedSemaphorePermit>,
    /// The write lock, held by a transaction for its whole length: `Some` while in one.
    writing: Option<OwnedMutexGuard<()>>,
    /// The transaction ran a long statement (over a subtree, or a chunk of an audience): its
    /// commit writes as much, and may checkpoint the log, so it is run as the statement was.
    long_writes: bool,
}

impl LiteConn {
    fn connection(&mut self) -> &mut rusqlite::Connection {
        self.conn.as_mut().expect("a connection until dropped")
    }

    /// Ends the transaction with `how` and gives its connection back before its turn, so the
    /// next writer finds it.
    fn finish(&mut self, how: &str) -> Result<()> {
        let long = std::mem::take(&mut self.long_writes);
        let conn = self.connection();
        let done = if long {
            self::long(|| conn.execute_batch(how))
        } else {
            conn.execute_batch(how)
        };
        let turn = self.writing.take();
        if let Some(conn) = self.conn.take() {
            self.give_back(conn);
        }
        drop(turn);
        done.map_err(lite_error)
    }

    /// Back to where it came from: the writer's place or the idle ones; one left in the middle
    /// of a transaction is closed instead.
    fn give_back(&self, conn: rusqlite::Connection) {
        if !conn.is_autocommit() {
            return;
        }
        if self.slot.is_some() {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(conn);
        } else if !self.pool.slots.is_closed() {
            *self
                .pool
                .writer_conn
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some(conn);
        }
    }

    async fn run(
        &mut self,
        sql: &str,
        args: &[Value],
        want: Want,
        by_name: bool,
        long: bool,
    ) -> Result<Outcome> {
        let run = |c: &mut rusqlite::Connection| {
            if long {
                self::long(|| run_lite(c, sql, args, want, by_name))
            } else {
                run_lite(c, sql, args, want, by_name)
            }
        };
        if self.writing.is_some() {
            // A transaction's statement: it holds the write lock already, and one failing
            // midway is the transaction's to roll back, not to repeat.
            self.long_writes |= long;
            return run(self.connection()).map_err(lite_error);
        }
        // A write outside a transaction waits for its turn, as a transaction does.
        let readonly = self
            .connection()
            .prepare_cached(sql)
            .map_err(lite_error)?
            .readonly();
        let _turn = if readonly {
            None
        } else {
            Some(self.pool.turn().await?)
        };
        when_not_busy(self.connection(), run)
            .await
            .map_err(lite_error)
    }
}

impl Drop for LiteConn {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if self.writing.is_some() && conn.execute_batch("ROLLBACK").is_err() {
            // A connection whose transaction cannot end is not reused.
            return;
        }
        // Given back before the turn (a field, dropped after this) is let go.
        self.give_back(conn);
    }
}

/// Runs `read`, which may take a while (a statement over a province's subtree), without
/// holding up the runtime: SQLite runs on the calling task, and on a multi-thread runtime the
/// worker first hands its other tasks to another thread. Two long views at once on two cores
/// would otherwise stop every reply behind them. Elsewhere (a current-thread runtime, no
/// runtime) it just runs.
fn long<T>(read: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(read),
        _ => read(),
    }
}

/// Runs `attempt` again while SQLite answers busy (another process holds its lock), sleeping
/// between tries, up to [`BUSY_TIMEOUT`]. A statement answered busy has changed nothing.
async fn when_not_busy<T>(
    conn: &mut rusqlite::Connection,
    mut attempt: impl FnMut(&mut rusqlite::Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let started = tokio::time::Instant::now();
    let mut tries = 0;
    loop {
        match attempt(conn) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && started.elapsed() < BUSY_TIMEOUT =>
            {
                let wait = BUSY_WAITS_MS[tries.min(BUSY_WAITS_MS.len() - 1)];
                tries += 1;
                tokio::time::sleep(Duration::from_millis(wait)).await;
            }
            done => return done,
        }
    }
}

fn run_lite(
    conn: &rusqlite::Connection,
    sql: &str,
    args: &[Value],
    want: Want,
    by_name: bool,
) -> rusqlite::Result<Outcome> {
    let mut statement = conn.prepare_cached(sql)?;
    bind_lite(&mut statement, args)?;
    let columns = statement.column_count();
    let names: Option<Arc<[String]>> = (by_name && want != Want::Nothing).then(|| {
        statement
            .column_names()
            .into_iter()
            .map(str::to_owned)
            .collect()
    });
    let readonly = statement.readonly();
    let mut rows = statement.raw_query();
    let mut read = Vec::new();
    while let Some(row) = rows.next()? {
        if want == Want::Nothing {
            // Stepped to the end all the same: a write's `RETURNING` rows are not read.
            continue;
        }
        let values = (0..columns)
            .map(|i| row.get::<_, LiteValue>(i))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        read.push(Row::Lite {
            values,
            names: names.clone(),
        });
        if want == Want::First {
            break;
        }
    }
    drop(rows);
    let rows_affected = if want == Want::Nothing && !readonly {
        conn.changes()
    } else {
        0
    };
    Ok(Outcome {
        rows: read,
        rows_affected,
    })
}

/// Binds `$N` to the N-th argument wherever it appears (SQLite numbers named parameters in
/// order of first appearance, which need not be N's order), and `?` in turn.
fn bind_lite(
    statement: &mut rusqlite::CachedStatement<'_>,
    args: &[Value],
) -> rusqlite::Result<()> {
    let mut next = 0;
    for slot in 1..=statement.parameter_count() {
        let at = match statement.parameter_name(slot) {
            Some(name) => match name.trim_start_matches(['$', '?']).parse::<usize>() {
                Ok(n) if n >= 1 => n - 1,
                _ => {
                    return Err(rusqlite::Error::InvalidParameterName(name.to_owned()));
                }
            },
            None => {
                next += 1;
                next - 1
            }
        };
        let value = args
            .get(at)
            .ok_or(rusqlite::Error::InvalidParameterCount(at + 1, args.len()))?;
        let value = match value {
            Value::Null(_) => LiteValue::Null,
            Value::Bool(b) => LiteValue::Integer(i64::from(*b)),
            Value::I32(i) => LiteValue::Integer(i64::from(*i)),
            Value::I64(i) => LiteValue::Integer(*i),
            Value::F64(f) => LiteValue::Real(*f),
            Value::Text(s) => LiteValue::Text(s.clone()),
            Value::Blob(b) => LiteValue::Blob(b.clone()),
        };
        statement.raw_bind_parameter(slot, value)?;
    }
    Ok(())
}

/// A SQLite error as sqlx reports database errors, so that callers handle both backends alike.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
struct LiteError {
    message: String,
    #[source]
    source: rusqlite::Error,
}

fn lite_error(source: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::Database(Box::new(LiteError {
        message: source.to_string(),
        source,
    }))
}

impl sqlx::error::DatabaseError for LiteError {
    fn message(&self) -> &str {
        &self.message
    }
    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }
    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }
    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }
    fn kind(&self) -> sqlx::error::ErrorKind {
        use rusqlite::ffi;
        use sqlx::error::ErrorKind;
        match &self.source {
            rusqlite::Error::SqliteFailure(e, _) => match e.extended_code {
                ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                    ErrorKind::UniqueViolation
                }
                ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
                ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
                ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
                _ => ErrorKind::Other,
            },
            _ => ErrorKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database file in a temporary folder (kept while the folder lives), with a table `t`.
    async fn with_table() -> (tempfile::TempDir, Arc<LitePool>) {
        with_table_of(4).await
    }

    /// [`with_table`] on a pool of `connections`.
    async fn with_table_of(connections: usize) -> (tempfile::TempDir, Arc<LitePool>) {
        let dir = tempfile::tempdir().unwrap();
        let pool = LitePool::open(&dir.path().join("t.db"), connections).unwrap();
        let mut conn = pool.acquire().await.unwrap();
        query("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT)")
            .execute(&mut conn)
            .await
            .unwrap();
        (dir, pool)
    }

    async fn insert(conn: &mut Conn, name: &str) -> sqlx::Result<u64> {
        let done = query("INSERT INTO t (name) VALUES ($1)")
            .bind(name)
            .execute(conn)
            .await?;
        Ok(done.rows_affected())
    }

    #[test]
    fn renumbering_moves_placeholders_and_leaves_quoted_text() {
        assert_eq!(
            renumbered(
                "UPDATE t SET a = $2 WHERE b = $1 AND c = '$1' -- $3\n AND d = $10",
                4
            )
            .as_deref(),
            Some("UPDATE t SET a = $6 WHERE b = $5 AND c = '$1' -- $3\n AND d = $14")
        );
        assert_eq!(
            renumbered(r#"SELECT "a$1", 'it''s $2', /* $3 */ $1"#, 1).as_deref(),
            Some(r#"SELECT "a$1", 'it''s $2', /* $3 */ $2"#)
        );
        // Dollar-quoted text and an open quote are not read.
        assert_eq!(renumbered("SELECT $$ $1 $$", 1), None);
        assert_eq!(renumbered("SELECT 'open $1", 1), None);
    }

    #[test]
    fn held_back_writes_become_with_parts_of_the_next_statement() {
        let held = |sql: &str, n: i64| HeldWrite {
            sql: holdable(sql).unwrap(),
            args: (0..n).map(Value::I64).collect(),
        };
        let writes = [
            held("INSERT INTO a (x, y) VALUES ($1, $2);", 2),
            held("DELETE FROM b WHERE x = $1", 1),
        ];
        let (sql, args) = carried(
            &writes,
            "INSERT INTO c (x) VALUES ($1) RETURNING id",
            &[Value::I64(9)],
        )
        .unwrap();
        assert_eq!(
            sql,
            "WITH chihoi_held_0 AS (INSERT INTO a (x, y) VALUES ($1, $2)), \
             chihoi_held_1 AS (DELETE FROM b WHERE x = $3) INSERT INTO c (x) VALUES ($4) RETURNING id"
        );
        assert_eq!(args.len(), 4);
        assert!(matches!(args[3], Value::I64(9)));
        // A statement with parts of its own takes ours first.
        let (sql, _) = carried(
            &writes[1..],
            "with v AS (SELECT $1 AS x) SELECT x FROM v",
            &[],
        )
        .unwrap();
        assert_eq!(
            sql,
            "WITH chihoi_held_0 AS (DELETE FROM b WHERE x = $1), v AS (SELECT $2 AS x) SELECT x FROM v"
        );
        assert!(
            carried(
                &writes,
                "WITH RECURSIVE r AS (SELECT 1) SELECT * FROM r",
                &[]
            )
            .is_none()
        );
        // Only plain writes are held back.
        assert!(holdable("SELECT 1").is_none());
        assert!(holdable("WITH x AS (SELECT 1) INSERT INTO a SELECT * FROM x").is_none());
    }

    #[test]
    fn placeholders_follow_the_arguments_before_them() {
        assert_eq!(placeholders(2, 3), "$3, $4, $5");
        assert_eq!(placeholders(0, 1), "$1");
        assert_eq!(placeholders(4, 0), "");
    }

    #[tokio::test]
    async fn numbered_parameters_bind_by_number_whatever_their_order() {
        let (_dir, pool) = with_table().await;
        let mut conn = pool.acquire().await.unwrap();
        let row: (String, i64, Option<String>, bool) = query_as("SELECT $2, $1, $3, $1 > 1")
            .bind(7_i64)
            .bind("bảy")
            .bind(None::<&str>)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(row, ("bảy".to_owned(), 7, None, true));
    }

    #[tokio::test]
    async fn rows_read_by_position_and_name_and_a_wrong_type_is_an_error() {
        let (_dir, pool) = with_table().await;
        let mut conn = pool.acquire().await.unwrap();
        let done = query("INSERT INTO t (name) VALUES ($1), ($2)")
            .bind("Lan")
            .bind("Hoa")
            .execute(&mut conn)
            .await
            .unwrap();
        assert_eq!(done.rows_affected(), 2);
        let rows = query("SELECT id, name, note FROM t ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].get::<String, _>("name"), "Hoa");
        assert_eq!(rows[0].get::<i64, _>(0), 1);
        assert_eq!(rows[0].get::<Option<String>, _>("note"), None);
        assert!(matches!(
            rows[0].try_get::<i64, _>("name"),
            Err(sqlx::Error::ColumnDecode { .. })
        ));
        assert!(matches!(
            rows[0].try_get::<i64, _>("missing"),
            Err(sqlx::Error::ColumnNotFound(_))
        ));
        let none: Option<i64> = query_scalar("SELECT id FROM t WHERE name = $1")
            .bind("Mai")
            .fetch_optional(&mut conn)
            .await
            .unwrap();
        assert_eq!(none, None);
        assert!(matches!(
            query_scalar::<i64>("SELECT id FROM t WHERE name = 'Mai'")
                .fetch_one(&mut conn)
                .await,
            Err(sqlx::Error::RowNotFound)
        ));
    }

    #[tokio::test]
    async fn a_dropped_transaction_is_rolled_back_and_its_connection_reused() {
        let (_dir, pool) = with_table().await;
        {
            let mut tx = pool.begin().await.unwrap();
            insert(&mut tx, "Lan").await.unwrap();
        }
        let mut tx = pool.begin().await.unwrap();
        insert(&mut tx, "Hoa").await.unwrap();
        tx.commit().await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        let names: Vec<String> = query_scalar("SELECT name FROM t")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        assert_eq!(names, ["Hoa"]);
        let constraint = query("INSERT INTO t (id, name) VALUES (1, 'x')")
            .execute(&mut conn)
            .await
            .unwrap_err();
        match constraint {
            sqlx::Error::Database(e) => assert!(e.is_unique_violation(), "{e}"),
            other => panic!("{other}"),
        }
    }

    /// However many transactions wait behind a long one, a reader gets a connection at once.
    #[tokio::test]
    async fn writers_waiting_for_their_turn_leave_the_connections_to_readers() {
        let (_dir, pool) = with_table_of(2).await;
        let mut tx = pool.begin().await.unwrap();
        insert(&mut tx, "Lan").await.unwrap();
        let waiting: Vec<_> = (0..5)
            .map(|i| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    let mut tx = pool.begin().await.unwrap();
                    insert(&mut tx, &format!("Hoa {i}")).await.unwrap();
                    tx.commit().await.unwrap();
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(waiting.iter().all(|w| !w.is_finished()));
        for _ in 0..2 {
            let mut reader = tokio::time::timeout(Duration::from_secs(1), pool.acquire())
                .await
                .expect("a reader waited for a connection a waiting writer held")
                .unwrap();
            let seen: i64 = query_scalar("SELECT COUNT(*) FROM t")
                .fetch_one(&mut reader)
                .await
                .unwrap();
            assert_eq!(seen, 0);
        }
        tx.commit().await.unwrap();
        for w in waiting {
            tokio::time::timeout(Duration::from_secs(5), w)
                .await
                .expect("the writers went on")
                .unwrap();
        }
        let mut reader = pool.acquire().await.unwrap();
        let seen: i64 = query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&mut reader)
            .await
            .unwrap();
        assert_eq!(seen, 6);
    }

    /// On one thread: if a waiting writer blocked it (SQLite's busy handler), the transaction
    /// it waits for could never finish and this test would time out.
    #[tokio::test(flavor = "current_thread")]
    async fn a_writer_waits_for_a_transaction_without_blocking_the_thread() {
        let (_dir, pool) = with_table().await;
        let mut tx = pool.begin().await.unwrap();
        insert(&mut tx, "Lan").await.unwrap();
        let lone = tokio::spawn({
            let pool = pool.clone();
            async move {
                let mut conn = pool.acquire().await.unwrap();
                insert(&mut conn, "Hoa").await.unwrap();
            }
        });
        let second = tokio::spawn({
            let pool = pool.clone();
            async move {
                let mut tx = pool.begin().await.unwrap();
                insert(&mut tx, "Mai").await.unwrap();
                tx.commit().await.unwrap();
            }
        });
        // Both wait; a reader does not.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!lone.is_finished() && !second.is_finished());
        let mut reader = pool.acquire().await.unwrap();
        let seen: i64 = query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&mut reader)
            .await
            .unwrap();
        assert_eq!(seen, 0, "the reader sees only what is committed");
        tx.commit().await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), async {
            lone.await.unwrap();
            second.await.unwrap();
        })
        .await
        .expect("the writers went on after the commit");
        let seen: i64 = query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&mut reader)
            .await
            .unwrap();
        assert_eq!(seen, 3);
    }

    /// Another process's lock: the statement is tried again after async sleeps while other
    /// tasks on the same thread go on, and succeeds once the lock is gone.
    #[tokio::test(flavor = "current_thread")]
    async fn another_process_lock_is_waited_out_asynchronously() {
        let (dir, pool) = with_table().await;
        let other = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
        other.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let write = tokio::spawn({
            let pool = pool.clone();
            async move {
                let mut conn = pool.acquire().await.unwrap();
                insert(&mut conn, "Lan").await
            }
        });
        let mut ticks = 0;
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            ticks += 1;
        }
        assert_eq!(ticks, 20);
        assert!(!write.is_finished(), "it waits while the lock is held");
        other.execute_batch("ROLLBACK").unwrap();
        let written = tokio::time::timeout(Duration::from_secs(5), write)
            .await
            .expect("written once the lock is gone")
            .unwrap()
            .unwrap();
        assert_eq!(written, 1);
    }

    /// Two long reads on a runtime of two workers: a task spawned meanwhile still runs at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn long_reads_do_not_hold_up_the_runtime() {
        let (_dir, pool) = with_table().await;
        // About 2.5 s in a debug build on this 2-core machine: long enough on a faster one too.
        const ROWS: i64 = 3_000_000;
        let reads: Vec<_> = (0..2)
            .map(|_| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    let mut conn = pool.acquire().await.unwrap();
                    let started = std::time::Instant::now();
                    let n: i64 = query_scalar(
                        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
                         SELECT COUNT(*) FROM n",
                    )
                    .bind(ROWS)
                    .persistent(false)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
                    assert_eq!(n, ROWS);
                    started.elapsed()
                })
            })
            .collect();
        // Not a tokio sleep: the timer is driven by the workers, which is what is tested. This
        // thread is the test's own, not a worker.
        std::thread::sleep(Duration::from_millis(200));
        let asked = std::time::Instant::now();
        tokio::spawn(async {}).await.unwrap();
        let answered = asked.elapsed();
        let mut took = Duration::ZERO;
        for read in reads {
            took = took.max(read.await.unwrap());
        }
        assert!(
            took > Duration::from_millis(400),
            "reads too short to tell: {took:?}"
        );
        assert!(
            answered < took / 4,
            "a spawned task waited {answered:?} behind reads of {took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_lock_held_past_the_busy_timeout_fails_the_statement() {
        let (dir, pool) = with_table().await;
        let other = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
        other.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let failed = pool.begin().await.err().expect("busy past the timeout");
        assert!(failed.to_string().contains("locked"), "{failed}");
    }
}
