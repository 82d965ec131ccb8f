//! Workload files: the user's Parquet tables and SQL queries as a workload (docs/workload-files.md).
//!
//! A file is read and validated whole before anything runs ([`load`]): every problem is one
//! [`Error::WorkloadFile`] naming the file, the line and column, and what to write instead. What it yields, a
//! [`FileWorkload`], is plain data: the tables with their files resolved, one [`QueryCase`] per query and parameter
//! combination, the run settings and the engines; the SQL workload (`workloads::sql`) runs it.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::engines::EngineKind;
use crate::error::{Error, Result};
use crate::protocol::{MixQuery, SqlTable as Table};

/// A workload file, validated: what the SQL workload runs.
#[derive(Debug, Clone, PartialEq)]
pub struct FileWorkload {
    /// The workload's name in results (`name =`).
    pub name: String,
    /// What it measures (`about =`).
    pub about: String,
    /// The file it was read from.
    pub path: PathBuf,
    /// Tables, in file order.
    pub tables: Vec<Table>,
    /// One entry per query and combination of its parameters, in file order.
    pub queries: Vec<QueryCase>,
    /// `[run]`: settings that replace the SQL workload's defaults.
    pub run: RunSettings,
    /// The engines to run, after `[engines]` include/exclude.
    pub engines: Vec<EngineKind>,
    /// `[concurrency]`: the closed-loop client sweep over the queries, when the file asks for it.
    pub concurrency: Option<Concurrency>,
    /// `[s3] latency_ms`: the latencies, in milliseconds, of the S3 server every table is read from, each a sweep
    /// point (0: the local files). Empty without `[s3]`: local files only.
    pub s3_latency_ms: Vec<u64>,
}

/// `[concurrency]`: a task `concurrent` in which closed-loop clients issue the file's queries, drawn at random
/// (seeded), swept over client counts as concurrent-query is. Each field replaces concurrent-query's default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Concurrency {
    /// Client counts, one task `concurrent[clients=N]` each.
    pub clients: Option<Vec<u64>>,
    /// Seconds each timed loop runs.
    pub duration_s: Option<f64>,
    /// Measurement processes per client count.
    pub processes: Option<usize>,
    /// Timed loops per process.
    pub runs: Option<usize>,
    /// The queries clients draw from (`queries = [...]` by name; all of the file's when absent), in file order.
    pub queries: Vec<MixQuery>,
}

/// The task name of the concurrent mix.
pub const CONCURRENT_TASK: &str = "concurrent";

/// One query to time, with its parameters substituted.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryCase {
    /// Task name: the query's name, followed by its parameters (`top-n[n=10,symbol=S1]`) when it has any.
    pub name: String,
    /// The SQL, parameters substituted.
    pub sql: String,
    /// Rows the answer must have (`expect_rows =`).
    pub expect_rows: Option<u64>,
    /// The answer every engine's must equal (`answer =`): a Parquet file, its placeholders filled. `None` also when
    /// its path depends on the suite size and the file was read without one (`list`).
    pub answer: Option<PathBuf>,
}

/// `[run]`: each field replaces the SQL workload's default when set; command-line options replace both.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSettings {
    /// Measurement processes per measurement.
    pub processes: Option<usize>,
    /// Timed runs per process.
    pub runs: Option<usize>,
    /// Warm-up runs per process.
    pub warmup: Option<usize>,
    /// Seconds before a measurement process is killed and recorded as `timeout`.
    pub timeout_s: Option<f64>,
    /// Memory cap of each measurement process, bytes.
    pub memory_cap_bytes: Option<u64>,
}

/// The engines a workload file runs unless its `[engines]` says otherwise: the variants that run SQL queries on
/// tables on this machine. The Ballista variants (`ballista-N`) run SQL too, when named: each of their measurement
/// processes starts a cluster.
pub const SQL_ENGINES: [EngineKind; 10] = [
    EngineKind::PolarsLazy,
    EngineKind::PolarsStreaming,
    EngineKind::PolarsShared,
    EngineKind::PolarsSharedStreaming,
    EngineKind::Polaroid,
    EngineKind::PolaroidFlight,
    EngineKind::PyPolars,
    EngineKind::PyPolarsInMemory,
    EngineKind::DuckDb,
    EngineKind::DataFusion,
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    name: Spanned<String>,
    #[serde(default)]
    about: Option<String>,
    tables: Spanned<toml::Table>,
    #[serde(default)]
    queries: Vec<Spanned<RawQuery>>,
    #[serde(default)]
    run: Option<RawRun>,
    #[serde(default)]
    engines: Option<RawEngines>,
    #[serde(default)]
    data: Option<RawData>,
    #[serde(default)]
    concurrency: Option<Spanned<RawConcurrency>>,
    #[serde(default)]
    s3: Option<RawS3>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawS3 {
    latency_ms: Spanned<Vec<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConcurrency {
    #[serde(default)]
    clients: Option<Spanned<Vec<u64>>>,
    #[serde(default)]
    duration_s: Option<Spanned<f64>>,
    #[serde(default)]
    processes: Option<Spanned<usize>>,
    #[serde(default)]
    runs: Option<Spanned<usize>>,
    #[serde(default)]
    queries: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawData {
    command: Spanned<Vec<String>>,
    #[serde(default)]
    sizes: Option<Spanned<toml::Table>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    path: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuery {
    name: Spanned<String>,
    #[serde(default)]
    sql: Option<Spanned<String>>,
    #[serde(default)]
    file: Option<Spanned<String>>,
    #[serde(default)]
    params: Option<Spanned<toml::Table>>,
    #[serde(default)]
    expect_rows: Option<u64>,
    #[serde(default)]
    answer: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRun {
    processes: Option<Spanned<usize>>,
    runs: Option<Spanned<usize>>,
    warmup: Option<usize>,
    timeout_s: Option<Spanned<f64>>,
    memory_cap: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEngines {
    #[serde(default)]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
}

/// Whether a command-line workload names a workload file rather than a built-in workload.
pub fn is_file(name: &str) -> bool {
    name.ends_with(".toml")
}

/// Where a workload file's tables are: what [`load`] needs to resolve them.
#[derive(Debug, Clone, Copy)]
pub struct Resolve<'a> {
    /// The run's suite size (`${size}` and `[data.sizes]` in a `[data]` command).
    pub size: super::Size,
    /// polaroid's data directory, where a `[data]` command's output is kept.
    pub data_dir: &'a Path,
    /// The `polaroid-bench` binary a `[data]` command may name.
    pub binary: &'a Path,
}

/// Reads and validates a workload file. Relative paths in it are relative to its directory, or, with a `[data]`
/// command, to the directory the command wrote (run once per size and command, then reused). With `resolve` `None`
/// (`list`), a `[data]` command is not run and those tables have no files yet.
pub fn load_with(path: &Path, resolve: Option<Resolve<'_>>) -> Result<FileWorkload> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::WorkloadFile {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read it ({e}); pass the path of a workload file (docs/workload-files.md)"),
    })?;
    parse_with(&text, path, resolve)
}

/// Reads and validates a workload file whose tables are files beside it (no `[data]` command run).
pub fn load(path: &Path) -> Result<FileWorkload> {
    load_with(path, None)
}

/// Validates the text of a workload file read from `path` (no `[data]` command run).
pub fn parse(text: &str, path: &Path) -> Result<FileWorkload> {
    parse_with(text, path, None)
}

fn parse_with(text: &str, path: &Path, resolve: Option<Resolve<'_>>) -> Result<FileWorkload> {
    let at = Locator { text, path };
    let raw: RawFile = toml::from_str(text).map_err(|e| at.error(e.span().unwrap_or(0..0), e.message().trim_end().to_string()))?;
    let beside = path.parent().map(Path::to_path_buf).unwrap_or_default();
    // The tables' directory: beside the file, or what its [data] command wrote (None: not generated, `list`).
    let dir = match (&raw.data, resolve) {
        (None, _) => Some(beside.clone()),
        (Some(data), Some(resolve)) => Some(generate(&at, raw.name.get_ref(), data, &beside, resolve)?),
        (Some(data), None) => {
            data_command(&at, data, None)?;
            None
        }
    };

    let name = raw.name.get_ref().clone();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return Err(at.error(raw.name.span(), format!("name '{name}' may hold only lowercase letters, digits and '-' (it names the workload in results)")));
    }
    if super::WORKLOADS.iter().any(|w| w.name == name) {
        return Err(at.error(raw.name.span(), format!("name '{name}' is a built-in workload's; choose another")));
    }

    let mut tables = Vec::new();
    if raw.tables.get_ref().is_empty() {
        return Err(at.error(raw.tables.span(), "[tables] names no table; add one, e.g. trades = \"data/*.parquet\"".into()));
    }
    for (table, value) in raw.tables.get_ref() {
        let span = value_span(text, &raw.tables, table);
        if !is_identifier(table) {
            return Err(at.error(span, format!("table name '{table}' is not a plain SQL identifier (letters, digits, '_', not starting with a digit)")));
        }
        let pattern = match value {
            toml::Value::String(p) => p.clone(),
            toml::Value::Table(t) => {
                let parsed: RawTable = toml::Value::Table(t.clone()).try_into().map_err(|e: toml::de::Error| at.error(span.clone(), format!("table '{table}': {}", e.message().trim_end())))?;
                parsed.path
            }
            _ => return Err(at.error(span, format!("table '{table}' must be a path: {table} = \"data/{table}.parquet\""))),
        };
        let files = match &dir {
            Some(dir) => files_of(dir, &pattern).map_err(|why| at.error(span.clone(), format!("table '{table}': {why}")))?,
            None => Vec::new(),
        };
        tables.push(Table { name: table.clone(), files });
    }

    if raw.queries.is_empty() {
        return Err(at.error(0..0, "the file has no [[queries]]; add one with a name and sql = \"SELECT ...\"".into()));
    }
    let mut queries = Vec::new();
    let mut seen: BTreeMap<String, Range<usize>> = BTreeMap::new();
    for query in &raw.queries {
        let q = query.get_ref();
        let qname = q.name.get_ref();
        if qname.is_empty() || !qname.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(at.error(q.name.span(), format!("query name '{qname}' may hold only letters, digits, '-' and '_'")));
        }
        if seen.insert(qname.clone(), q.name.span()).is_some() {
            return Err(at.error(q.name.span(), format!("a second query named '{qname}'; query names must be unique")));
        }
        let (sql, sql_at) = match (&q.sql, &q.file) {
            (Some(sql), None) => (sql.get_ref().clone(), SqlSource::Inline(sql.span())),
            (None, Some(file)) => {
                let full = beside.join(file.get_ref());
                let sql = std::fs::read_to_string(&full)
                    .map_err(|e| at.error(file.span(), format!("query '{qname}': cannot read {} ({e})", full.display())))?;
                (sql, SqlSource::File(full))
            }
            (Some(_), Some(file)) => return Err(at.error(file.span(), format!("query '{qname}' has both sql and file; keep one"))),
            (None, None) => return Err(at.error(query.span(), format!("query '{qname}' has no SQL; add sql = \"SELECT ...\" or file = \"{qname}.sql\""))),
        };
        let grid = params(&at, q, &sql)?;
        for combination in grid {
            let substituted = substitute(&sql, &combination);
            let case_name = if combination.is_empty() {
                qname.clone()
            } else {
                let parts: Vec<String> = combination.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{qname}[{}]", parts.join(","))
            };
            check_sql(&at, &sql_at, qname, &substituted, &tables)?;
            let answer = match &q.answer {
                Some(answer) => answer_file(&at, qname, answer, &combination, &beside, resolve.map(|r| r.size))?,
                None => None,
            };
            queries.push(QueryCase { name: case_name, sql: substituted, expect_rows: q.expect_rows, answer });
        }
    }

    let run = match raw.run {
        None => RunSettings::default(),
        Some(r) => run_settings(&at, r)?,
    };
    let engines = engines(&at, raw.engines)?;
    let concurrency = match raw.concurrency {
        None => None,
        Some(c) => Some(concurrency(&at, c, &raw.queries, &queries)?),
    };
    let s3_latency_ms = match raw.s3 {
        None => Vec::new(),
        Some(s3) => {
            let (span, latencies) = (s3.latency_ms.span(), s3.latency_ms.into_inner());
            let mut unique = latencies.clone();
            unique.sort_unstable();
            unique.dedup();
            if latencies.is_empty() || unique.len() != latencies.len() {
                return Err(at.error(span, "[s3] latency_ms must list distinct latencies in milliseconds, e.g. latency_ms = [0, 20] (0: the local files)".into()));
            }
            latencies
        }
    };
    Ok(FileWorkload { name, about: raw.about.unwrap_or_default(), path: path.to_path_buf(), tables, queries, run, engines, concurrency, s3_latency_ms })
}

/// A query's expected answer (`answer = "answers/q1-${size}.parquet"`, relative to the workload file): its path with
/// the query's parameters and `${size}` filled, checked to be a Parquet file that can be read. `None` when the path
/// names `${size}` and no size was given (`list`).
fn answer_file(
    at: &Locator<'_>,
    qname: &str,
    answer: &Spanned<String>,
    params: &BTreeMap<String, String>,
    beside: &Path,
    size: Option<super::Size>,
) -> Result<Option<PathBuf>> {
    let mut values = params.clone();
    for placeholder in placeholders(answer.get_ref()) {
        if placeholder == "size" {
            match size {
                Some(size) => values.insert("size".into(), size.name().into()),
                None => return Ok(None),
            };
        } else if !values.contains_key(&placeholder) {
            return Err(at.error(answer.span(), format!("query '{qname}': answer uses ${{{placeholder}}}, which is neither one of its params nor ${{size}}")));
        }
    }
    let path = beside.join(substitute(answer.get_ref(), &values));
    if !path.is_file() {
        return Err(at.error(answer.span(), format!("query '{qname}': answer file {} does not exist; write the expected answer there as Parquet (docs/workload-files.md, \"Expected answers\") or remove answer", path.display())));
    }
    crate::answer::digest_file(&path).map_err(|e| at.error(answer.span(), format!("query '{qname}': answer file {} cannot be read as Parquet ({e})", path.display())))?;
    Ok(Some(path))
}

/// A `[data]` command with its placeholders filled: `${size}`, `${dir}` (when given) and the values of
/// `[data.sizes.<size>]` (all sizes' keys when `resolve` is `None`, to check them). Its first word `polaroid-bench`
/// is the running binary.
fn data_command(at: &Locator<'_>, data: &RawData, resolve: Option<(Resolve<'_>, &Path)>) -> Result<Vec<String>> {
    let span = data.command.span();
    if data.command.get_ref().is_empty() {
        return Err(at.error(span, "[data] command is empty; write the program and its arguments, e.g. [\"tpchgen-cli\", \"parquet\", \"--output-dir\", \"${dir}\"]".into()));
    }
    let sizes = data.sizes.as_ref().map(|s| s.get_ref().clone()).unwrap_or_default();
    for (size, _) in &sizes {
        if !super::Size::ALL.iter().any(|s| s.name() == size) {
            let span = data.sizes.as_ref().map(|s| value_span(at.text, s, size)).unwrap_or(span.clone());
            return Err(at.error(span, format!("[data.sizes] has '{size}', which is not a suite size; use smoke, default or large")));
        }
    }
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    values.insert("dir".into(), resolve.map(|(_, dir)| dir.display().to_string()).unwrap_or_default());
    let chosen: Vec<super::Size> = match resolve {
        Some((r, _)) => vec![r.size],
        None => super::Size::ALL.to_vec(),
    };
    let mut command = Vec::new();
    for size in chosen {
        values.insert("size".into(), size.name().into());
        if let Some(toml::Value::Table(t)) = sizes.get(size.name()) {
            for (k, v) in t {
                values.insert(k.clone(), param_text(v).unwrap_or_default());
            }
        }
        command = Vec::new();
        for word in data.command.get_ref() {
            for placeholder in placeholders(word) {
                if !values.contains_key(&placeholder) {
                    return Err(at.error(span.clone(), format!("[data] command uses ${{{placeholder}}}, which has no value at size {}; add {placeholder} = \"...\" to [data.sizes.{}]", size.name(), size.name())));
                }
            }
            command.push(substitute(word, &values));
        }
    }
    if let (Some((r, _)), Some(first)) = (resolve, command.first_mut())
        && first == "polaroid-bench"
    {
        *first = r.binary.display().to_string();
    }
    Ok(command)
}

/// Runs a `[data]` command once into a directory of the data directory named after the workload, the size and the
/// command, and returns that directory; a later run with the same command finds it complete and reuses it.
fn generate(at: &Locator<'_>, name: &str, data: &RawData, beside: &Path, resolve: Resolve<'_>) -> Result<PathBuf> {
    use sha2::{Digest, Sha256};
    let key = data_command(at, data, Some((resolve, Path::new(""))))?;
    let hash = hex::encode(Sha256::digest(key.join("\u{0}").as_bytes()));
    let dir = resolve.data_dir.join(format!("{name}-{}-{}", resolve.size.name(), &hash[..12]));
    let done = dir.join(".polaroid-complete");
    if done.exists() {
        return Ok(dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(crate::error::io_err("creating", &dir))?;
    let command = data_command(at, data, Some((resolve, &dir)))?;
    eprintln!("polaroid-bench: generating the tables of {} at size {} (once; kept in {}): {}", at.path.display(), resolve.size.name(), dir.display(), command.join(" "));
    let program = find_program(&command[0], resolve.binary);
    let out = std::process::Command::new(&program).args(&command[1..]).current_dir(beside).stdin(std::process::Stdio::null()).output();
    let failed = |why: String| {
        let _ = std::fs::remove_dir_all(&dir);
        at.error(data.command.span(), format!("[data] command {why}; fix it, or run it yourself to see: {}", command.join(" ")))
    };
    match out {
        Err(e) => return Err(failed(format!("cannot start {} ({e})", program.display()))),
        Ok(o) if !o.status.success() => {
            let err = String::from_utf8_lossy(&o.stderr);
            let tail: String = err.lines().rev().take(3).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join(" / ");
            return Err(failed(format!("failed ({}): {tail}", o.status)));
        }
        Ok(_) => {}
    }
    std::fs::write(&done, command.join(" ")).map_err(crate::error::io_err("writing", &done))?;
    Ok(dir)
}

/// A program of a `[data]` command: as given when it is a path or on `PATH`; else the one in the Python engines'
/// venv (`tpchgen-cli` installed by scripts/python-env), else beside the running binary.
fn find_program(name: &str, binary: &Path) -> PathBuf {
    let given = PathBuf::from(name);
    if given.components().count() > 1 {
        return given;
    }
    let on_path = std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|c| c.is_file()));
    let (python, _) = crate::engines::python::interpreter();
    let candidates = [python.parent().map(|d| d.join(name)), binary.parent().map(|d| d.join(name))];
    on_path.or_else(|| candidates.into_iter().flatten().find(|c| c.is_file())).unwrap_or(given)
}

/// Where a query's SQL came from, for errors.
enum SqlSource {
    Inline(Range<usize>),
    File(PathBuf),
}

/// Turns byte spans of the workload file into `file:line:column` errors.
struct Locator<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Locator<'_> {
    fn error(&self, span: Range<usize>, message: String) -> Error {
        let (line, column) = line_column(self.text, span.start);
        Error::WorkloadFile { file: self.path.to_path_buf(), line, column, message }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, column)
}

/// The span of key `key` inside a TOML table (toml's `Table` keeps no spans of its own entries): inside an inline
/// table's span, or after a `[header]` up to the next header.
fn value_span(text: &str, table: &Spanned<toml::Table>, key: &str) -> Range<usize> {
    let mut span = table.span();
    if text[span.clone()].starts_with('[') {
        span.end = text[span.end..].find("\n[").map_or(text.len(), |i| span.end + i);
    }
    let inside = &text[span.clone()];
    let found = inside.match_indices(key).find(|(i, _)| {
        let before = inside[..*i].chars().next_back();
        let after = inside[i + key.len()..].trim_start().chars().next();
        before.is_none_or(|c| c.is_whitespace() || c == '{' || c == ',') && matches!(after, Some('=') | Some('.'))
    });
    match found {
        Some((i, _)) => span.start + i..span.start + i + key.len(),
        None => span,
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A table's files: one Parquet file, every `*.parquet` in a directory, or the files a glob matches.
fn files_of(dir: &Path, pattern: &str) -> std::result::Result<Vec<PathBuf>, String> {
    let full = dir.join(pattern);
    let mut files: Vec<PathBuf> = if full.is_dir() {
        std::fs::read_dir(&full)
            .map_err(|e| format!("cannot list {} ({e})", full.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
            .collect()
    } else if full.is_file() {
        vec![full.clone()]
    } else {
        let text = full.to_string_lossy();
        let paths = glob::glob(&text).map_err(|e| format!("'{pattern}' is not a valid glob ({e})"))?;
        paths.filter_map(|p| p.ok()).filter(|p| p.is_file()).collect()
    };
    files.sort();
    if files.is_empty() {
        return Err(format!(
            "'{pattern}' matches no Parquet file (looked for {}); write a file, a directory of .parquet files or a glob, relative to the workload file",
            full.display()
        ));
    }
    Ok(files)
}

/// A value of a query parameter as it appears in the SQL.
fn param_text(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The `${name}` placeholders of a SQL text, in order of first use.
fn placeholders(sql: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = sql;
    while let Some(i) = rest.find("${") {
        let after = &rest[i + 2..];
        match after.find('}') {
            Some(end) => {
                let name = after[..end].to_string();
                if !found.contains(&name) {
                    found.push(name);
                }
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    found
}

/// The cartesian product of a query's `params` (asv's convention), each combination as name -> value text, in
/// name order; one empty combination when the query has none. Checks that the SQL uses every parameter and has no
/// placeholder without one.
fn params(at: &Locator<'_>, q: &RawQuery, sql: &str) -> Result<Vec<BTreeMap<String, String>>> {
    let qname = q.name.get_ref();
    let used = placeholders(sql);
    let mut grid = vec![BTreeMap::new()];
    let given = q.params.as_ref().map(|p| p.get_ref().clone()).unwrap_or_default();
    for placeholder in &used {
        if !given.contains_key(placeholder) {
            let span = q.params.as_ref().map(|p| p.span()).unwrap_or(q.name.span());
            return Err(at.error(span, format!("query '{qname}' uses ${{{placeholder}}} but params gives it no values; add {placeholder} = [...] to its params")));
        }
    }
    for (name, values) in &given {
        let span = q.params.as_ref().map(|p| value_span(at.text, p, name)).unwrap_or(0..0);
        if !used.contains(name) {
            return Err(at.error(span, format!("query '{qname}': parameter '{name}' is not used by its SQL; write ${{{name}}} where its value goes, or remove it")));
        }
        let values: Vec<String> = match values {
            toml::Value::Array(items) if !items.is_empty() => items.iter().map(param_text).collect::<Option<_>>().ok_or_else(|| {
                at.error(span.clone(), format!("query '{qname}': parameter '{name}' must list strings or numbers"))
            })?,
            _ => return Err(at.error(span, format!("query '{qname}': parameter '{name}' must be a non-empty list, e.g. {name} = [10, 100]"))),
        };
        grid = grid
            .into_iter()
            .flat_map(|combination| {
                values.iter().map(move |v| {
                    let mut c = combination.clone();
                    c.insert(name.clone(), v.clone());
                    c
                })
            })
            .collect();
    }
    Ok(grid)
}

fn substitute(sql: &str, values: &BTreeMap<String, String>) -> String {
    values.iter().fold(sql.to_string(), |sql, (k, v)| sql.replace(&format!("${{{k}}}"), v))
}

/// The SQL parses as polars-sql parses it, is one statement, and reads only the file's tables.
fn check_sql(at: &Locator<'_>, source: &SqlSource, qname: &str, sql: &str, tables: &[Table]) -> Result<()> {
    let fail = |message: String| match source {
        SqlSource::Inline(span) => at.error(span.clone(), format!("query '{qname}': {message}")),
        SqlSource::File(file) => Error::WorkloadFile { file: file.clone(), line: 0, column: 0, message: format!("query '{qname}': {message}") },
    };
    let named = polaroid_server::catalog::tables_read(sql).map_err(|e| fail(e.to_string()))?;
    for table in named {
        if !tables.iter().any(|t| t.name == table) {
            let known: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
            return Err(fail(format!("reads table '{table}', which [tables] does not define (it has: {}); add {table} = \"<path>\" there", known.join(", "))));
        }
    }
    Ok(())
}

fn run_settings(at: &Locator<'_>, r: RawRun) -> Result<RunSettings> {
    let positive = |v: &Option<Spanned<usize>>, key: &str| -> Result<Option<usize>> {
        match v {
            Some(n) if *n.get_ref() == 0 => Err(at.error(n.span(), format!("[run] {key} must be at least 1"))),
            Some(n) => Ok(Some(*n.get_ref())),
            None => Ok(None),
        }
    };
    let timeout_s = match r.timeout_s {
        Some(t) if !(*t.get_ref() > 0.0) => return Err(at.error(t.span(), "[run] timeout_s must be a positive number of seconds".into())),
        t => t.map(|t| t.into_inner()),
    };
    let memory_cap_bytes = match r.memory_cap {
        None => None,
        Some(v) => {
            let span = v.span();
            let bytes = match v.into_inner() {
                toml::Value::Integer(n) if n > 0 => Some(n as u64),
                toml::Value::String(s) => s.parse::<bytesize::ByteSize>().ok().map(|b| b.as_u64()).filter(|b| *b > 0),
                _ => None,
            };
            Some(bytes.ok_or_else(|| at.error(span, "[run] memory_cap must be a size such as \"4GiB\" or a number of bytes".into()))?)
        }
    };
    Ok(RunSettings { processes: positive(&r.processes, "processes")?, runs: positive(&r.runs, "runs")?, warmup: r.warmup, timeout_s, memory_cap_bytes })
}

fn concurrency(at: &Locator<'_>, raw: Spanned<RawConcurrency>, raw_queries: &[Spanned<RawQuery>], cases: &[QueryCase]) -> Result<Concurrency> {
    let span = raw.span();
    let raw = raw.into_inner();
    if let Some(q) = raw_queries.iter().find(|q| q.get_ref().name.get_ref() == CONCURRENT_TASK) {
        return Err(at.error(q.get_ref().name.span(), format!("query name '{CONCURRENT_TASK}' is the [concurrency] task's; rename the query")));
    }
    let clients = match raw.clients {
        Some(c) if c.get_ref().is_empty() || c.get_ref().contains(&0) => {
            return Err(at.error(c.span(), "[concurrency] clients must list client counts of at least 1, e.g. clients = [1, 10, 100]".into()));
        }
        c => c.map(Spanned::into_inner),
    };
    let duration_s = match raw.duration_s {
        Some(d) if !(*d.get_ref() > 0.0) => return Err(at.error(d.span(), "[concurrency] duration_s must be a positive number of seconds".into())),
        d => d.map(Spanned::into_inner),
    };
    let at_least_one = |v: Option<Spanned<usize>>, key: &str| -> Result<Option<usize>> {
        match v {
            Some(n) if *n.get_ref() == 0 => Err(at.error(n.span(), format!("[concurrency] {key} must be at least 1"))),
            n => Ok(n.map(Spanned::into_inner)),
        }
    };
    let (processes, runs) = (at_least_one(raw.processes, "processes")?, at_least_one(raw.runs, "runs")?);
    // A query named without parameters stands for every combination of its parameters.
    let named = |name: &str, case: &QueryCase| case.name == name || case.name.strip_prefix(name).is_some_and(|rest| rest.starts_with('['));
    let chosen: Vec<&QueryCase> = match &raw.queries {
        None => cases.iter().collect(),
        Some(names) => {
            if names.is_empty() {
                return Err(at.error(span, "[concurrency] queries is empty; name at least one query, or remove it to use them all".into()));
            }
            for name in names {
                if !cases.iter().any(|c| named(name.get_ref(), c)) {
                    let known: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
                    return Err(at.error(name.span(), format!("[concurrency] queries names '{}', which is no query of this file (it has: {})", name.get_ref(), known.join(", "))));
                }
            }
            cases.iter().filter(|c| names.iter().any(|n| named(n.get_ref(), c))).collect()
        }
    };
    let queries = chosen.into_iter().map(|c| MixQuery { name: c.name.clone(), sql: c.sql.clone() }).collect();
    Ok(Concurrency { clients, duration_s, processes, runs, queries })
}

fn engines(at: &Locator<'_>, raw: Option<RawEngines>) -> Result<Vec<EngineKind>> {
    let Some(raw) = raw else { return Ok(SQL_ENGINES.to_vec()) };
    let valid = SQL_ENGINES.iter().map(|e| e.name()).chain(["ballista-1", "ballista-2", "..."]).collect::<Vec<_>>().join(", ");
    let find = |name: &Spanned<String>| -> Result<EngineKind> {
        let ballista = EngineKind::from_name(name.get_ref()).ok().filter(|k| k.is_ballista());
        SQL_ENGINES.iter().copied().find(|e| e.name() == name.get_ref()).or(ballista).ok_or_else(|| {
            at.error(name.span(), format!("engine '{}' does not run workload files; valid engines: {valid}", name.get_ref()))
        })
    };
    let include: Vec<EngineKind> = raw.include.iter().map(find).collect::<Result<_>>()?;
    let exclude: Vec<EngineKind> = raw.exclude.iter().map(find).collect::<Result<_>>()?;
    let chosen: Vec<EngineKind> = if include.is_empty() { SQL_ENGINES.to_vec() } else { include };
    let chosen: Vec<EngineKind> = chosen.into_iter().filter(|e| !exclude.contains(e)).collect();
    if chosen.is_empty() {
        return Err(at.error(0..0, "[engines] leaves no engine to run; include at least one".into()));
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_substitution() {
        assert_eq!(placeholders("SELECT ${a}, ${b} WHERE x = ${a}"), vec!["a", "b"]);
        let values = BTreeMap::from([("a".to_string(), "1".to_string())]);
        assert_eq!(substitute("x = ${a} OR y = ${a}", &values), "x = 1 OR y = 1");
    }

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
    }
}
