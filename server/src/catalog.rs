//! The tables SQL can name: Parquet files and directories registered under a name (at start or through the
//! `register` action), handles opened by `read_parquet`/`batch_read` (named `h<id>`), and two live tables of the
//! ingest pipeline, `ticks` (every stored record) and `vwap` (the rolling VWAP per symbol).
//!
//! A query is planned by Polars' SQL context over the tables it names, and nothing else: a table that is not named
//! is not touched (an evicted one is not reloaded).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use polaroid::polars::prelude::*;
use polaroid::polars::sql::{SQLContext, extract_table_identifiers};
use polaroid::{Engine, Handle};
use serde::Serialize;

use crate::error::{Error, Result, internal};

/// The ingest pipeline's stored records.
pub const TICKS: &str = "ticks";
/// The ingest pipeline's rolling VWAP per symbol.
pub const VWAP: &str = "vwap";

/// A registered table.
#[derive(Debug, Clone, Serialize)]
pub struct TableInfo {
    /// The name SQL uses.
    pub name: String,
    /// The engine handle behind it.
    pub handle: u64,
    /// The file, directory or glob it was registered from.
    pub path: String,
    /// `loaded` (decoded into the engine's cache; queries run in memory) or `scan` (files streamed per query).
    pub kind: &'static str,
    /// Column names.
    pub columns: Vec<String>,
}

struct Table {
    info: TableInfo,
    handle: Handle,
}

/// Named tables over one engine.
#[derive(Default)]
pub struct Catalog {
    tables: Mutex<BTreeMap<String, Table>>,
}

impl Catalog {
    fn tables(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Table>> {
        self.tables.lock().expect("the catalog lock is never held across a panic")
    }

    /// Registers `path` as `name`: a file is loaded into the engine's cache (`scan` streams it per query instead),
    /// a directory (its `*.parquet` files) or a glob is scanned. Replaces a table of that name.
    pub async fn register(&self, engine: &Engine, name: &str, path: &str, scan: bool) -> Result<TableInfo> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || name.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(Error::Invalid(format!(
                "table name '{name}' is not usable in SQL: use letters, digits and '_', not starting with a digit"
            )));
        }
        if name == TICKS || name == VWAP {
            return Err(Error::Invalid(format!("'{name}' is the ingest pipeline's table; register under another name")));
        }
        let (target, scan) = if Path::new(path).is_dir() {
            (format!("{}/*.parquet", path.trim_end_matches('/')), true)
        } else {
            (path.to_string(), scan || path.contains(['*', '?', '[']))
        };
        let handle = if scan { engine.scan(&target).await } else { engine.read_parquet(&target, None).await }?;
        let info = self.add(engine, name.to_string(), handle, path, scan).await?;
        Ok(info)
    }

    /// Opens a handle (loaded into the cache) on one file, optionally some columns, as table `h<id>`.
    pub async fn read_parquet(&self, engine: &Engine, path: &str, columns: Option<&[String]>) -> Result<TableInfo> {
        let columns: Option<Vec<&str>> = columns.map(|c| c.iter().map(String::as_str).collect());
        let handle = engine.read_parquet(path, columns.as_deref()).await?;
        self.add(engine, format!("h{}", handle.id()), handle, path, false).await
    }

    async fn add(&self, engine: &Engine, name: String, handle: Handle, path: &str, scan: bool) -> Result<TableInfo> {
        let mut lf = engine.lazy(&handle).await?;
        let columns = tokio::task::spawn_blocking(move || lf.collect_schema().map(|s| s.iter_names().map(|c| c.to_string()).collect::<Vec<_>>()))
            .await
            .map_err(internal("reading the table's schema"))??;
        let info = TableInfo { name: name.clone(), handle: handle.id(), path: path.to_string(), kind: if scan { "scan" } else { "loaded" }, columns };
        let replaced = self.tables().insert(name, Table { info: info.clone(), handle });
        if let Some(old) = replaced
            && !self.tables().values().any(|t| t.handle.id() == old.handle.id())
        {
            engine.drop_handle(&old.handle);
        }
        Ok(info)
    }

    /// Unregisters a table and releases its handle; `false` when there was no such table.
    pub fn drop_table(&self, engine: &Engine, name: &str) -> bool {
        let removed = self.tables().remove(name);
        match removed {
            Some(table) => {
                // Another name may share the handle (the engine dedupes loads of one file): keep it alive then.
                if !self.tables().values().any(|t| t.handle.id() == table.handle.id()) {
                    engine.drop_handle(&table.handle);
                }
                true
            }
            None => false,
        }
    }

    /// What is registered, by name.
    pub fn list(&self) -> Vec<TableInfo> {
        self.tables().values().map(|t| t.info.clone()).collect()
    }

    /// Refreshes the idle clocks of the named tables' handles (all tables when `names` is empty).
    pub fn heartbeat(&self, engine: &Engine, names: &[String]) -> Result<()> {
        let handles: Vec<Handle> = {
            let tables = self.tables();
            if names.is_empty() {
                tables.values().map(|t| t.handle.clone()).collect()
            } else {
                names.iter().map(|n| tables.get(n).map(|t| t.handle.clone()).ok_or_else(|| unknown(n, &tables))).collect::<Result<_, _>>()?
            }
        };
        Ok(engine.heartbeat(&handles)?)
    }

    /// The plan of a SQL query over the tables it names, and its result's Arrow schema. Polars plans on a blocking
    /// thread (its SQL context and schema resolution do real work, and may read file metadata).
    pub async fn plan(&self, engine: &Engine, sql: &str) -> Result<(LazyFrame, arrow_schema::SchemaRef)> {
        let names = tables_read(sql)?;
        let mut tables = Vec::with_capacity(names.len());
        for name in names {
            let lf = match name.as_str() {
                TICKS => engine.ingested()?.lazy(),
                VWAP => engine.rolling_vwaps()?.lazy(),
                _ => {
                    let handle = {
                        let tables = self.tables();
                        match tables.get(&name) {
                            Some(table) => table.handle.clone(),
                            None => return Err(unknown(&name, &tables)),
                        }
                    };
                    engine.lazy(&handle).await?
                }
            };
            tables.push((name, lf));
        }
        let sql = sql.to_string();
        tokio::task::spawn_blocking(move || {
            let mut ctx = SQLContext::new();
            for (name, lf) in tables {
                ctx.register(&name, lf);
            }
            let mut plan = ctx.execute(&sql).map_err(|e| Error::Invalid(sql_message(&e.to_string())))?;
            let schema = plan.collect_schema()?;
            let arrow = crate::convert::arrow_schema(schema.as_ref())?;
            Ok((plan, arrow))
        })
        .await
        .map_err(internal("planning"))?
    }
}

/// Polars' SQL error as a client should read it. Polars names an unsupported construct with a dump of its syntax
/// tree (`expression Exists { subquery: Query { ... } } is not currently supported`, thousands of characters): that
/// becomes the construct's name.
fn sql_message(polars: &str) -> String {
    const UNSUPPORTED: &str = "is not currently supported";
    if let Some(rest) = polars.split_once("expression ").map(|(_, r)| r)
        && polars.trim_end().trim_end_matches(['"', ')']).ends_with(UNSUPPORTED)
        && let Some((name, _)) = rest.split_once(" {")
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        let construct = match name {
            "Exists" => "EXISTS (this correlation; Polars decorrelates only equality on columns the outer query does not share)",
            "InSubquery" => "IN (subquery) in this form",
            "Subquery" => "a scalar subquery here",
            other => other,
        };
        return format!("SQL: {construct} is not supported by Polars' SQL; rewrite it as a join");
    }
    format!("SQL: {polars}")
}

/// The tables a statement reads: the names it uses as tables, less those its own common table expressions define
/// (`WITH name AS ...`). Parsed as polars-sql parses; an error says where the SQL does not parse.
pub fn tables_read(sql: &str) -> Result<Vec<String>> {
    let names = extract_table_identifiers(sql, false, true).map_err(|e| Error::Invalid(format!("SQL does not parse: {e}")))?;
    let ctes = cte_names(sql)?;
    Ok(names.into_iter().filter(|n| !ctes.contains(n)).collect())
}

/// The names a statement's common table expressions define (`WITH name AS (...)`, at any depth).
fn cte_names(sql: &str) -> Result<Vec<String>> {
    use std::ops::ControlFlow;
    use sqlparser::ast::{Query, Visit, Visitor};
    use sqlparser::dialect::GenericDialect;

    struct Ctes(Vec<String>);
    impl Visitor for Ctes {
        type Break = ();
        fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
            if let Some(with) = &query.with {
                self.0.extend(with.cte_tables.iter().map(|cte| cte.alias.name.value.clone()));
            }
            ControlFlow::Continue(())
        }
    }
    use sqlparser::parser::{Parser, ParserOptions};
    // Parsed as polars-sql parses (its dialect and options), so both agree on what the statement says.
    let statements = Parser::new(&GenericDialect)
        .with_options(ParserOptions { trailing_commas: true, ..Default::default() })
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| Error::Invalid(format!("SQL does not parse: {e}")))?;
    let mut ctes = Ctes(Vec::new());
    for statement in &statements {
        let _ = statement.visit(&mut ctes);
    }
    Ok(ctes.0)
}

fn unknown(name: &str, tables: &BTreeMap<String, Table>) -> Error {
    let known: Vec<&str> = tables.keys().map(String::as_str).chain([TICKS, VWAP]).collect();
    Error::UnknownTable { name: name.into(), known: known.join(", ") }
}

