//! Datasets: deterministic synthetic market trades written as Parquet, and validation of user-supplied files.
//!
//! Every workload reads files produced here, and every engine reads the same files. A dataset is identified by its
//! recipe (seed, files, rows, row-group size, codec) and a fingerprint: SHA-256 over the recipe and the bytes of every
//! file. Same recipe, same bytes: the generator derives each file's random stream from the seed and the file index
//! only, and Polars' Parquet writer is deterministic for a given frame and options.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Normal, Zipf};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use polaroid_results::DatasetInfo;

use crate::error::{Error, Result, io_err};

/// Bumped whenever the generator's output changes, so old datasets are regenerated rather than silently reused.
const GENERATOR_VERSION: u32 = 1;
/// First trade timestamp: 2026-01-05T14:30:00Z in microseconds since the epoch.
const START_US: i64 = 1_767_623_400_000_000;
/// Columns every workload needs, with the types the generator writes.
pub const REQUIRED_COLUMNS: &str = "timestamp: datetime[µs], symbol: string, price: f64, quantity: i64";

/// How to generate a dataset of synthetic trades.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipe {
    /// Generator seed.
    pub seed: u64,
    /// Number of Parquet files.
    pub files: usize,
    /// Rows in each file.
    pub rows_per_file: usize,
    /// Rows per Parquet row group.
    pub row_group_rows: usize,
    /// Distinct symbols (their frequencies follow a Zipf law, so a few symbols dominate).
    pub symbols: usize,
    /// Parquet codec: `zstd`, `snappy`, `lz4` or `uncompressed`.
    pub compression: String,
}

impl Recipe {
    /// The dataset's directory name, unique per recipe.
    pub fn name(&self) -> String {
        format!(
            "trades-v{GENERATOR_VERSION}-{}x{}-rg{}-{}-seed{}",
            self.files, self.rows_per_file, self.row_group_rows, self.compression, self.seed
        )
    }

    fn codec(&self) -> Result<ParquetCompression> {
        Ok(match self.compression.as_str() {
            "zstd" => ParquetCompression::Zstd(None),
            "snappy" => ParquetCompression::Snappy,
            "lz4" => ParquetCompression::Lz4Raw,
            "uncompressed" => ParquetCompression::Uncompressed,
            other => {
                return Err(Error::InvalidOption(format!(
                    "unknown compression '{other}'; use one of zstd, snappy, lz4, uncompressed"
                )));
            }
        })
    }
}

/// A dataset on disk: its files and identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dataset {
    /// Identity and size, as stored in results.
    pub info: DatasetInfo,
    /// The recipe it was generated from (`None` for user files).
    pub recipe: Option<Recipe>,
    /// The Parquet files, in order.
    pub files: Vec<PathBuf>,
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    recipe: Recipe,
    info: DatasetInfo,
    files: Vec<String>,
}

/// What happened when a dataset was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provisioned {
    /// Found on disk and its fingerprint verified.
    Reused,
    /// Generated now (it was missing).
    Generated,
    /// Found on disk but its fingerprint did not match, so it was generated again.
    Regenerated,
}

/// Returns the dataset for `recipe` under `data_dir`, generating it when missing and regenerating it (with
/// [`Provisioned::Regenerated`]) when the files on disk do not match the recorded fingerprint.
pub fn ensure(recipe: &Recipe, data_dir: &Path) -> Result<(Dataset, Provisioned)> {
    let dir = data_dir.join(recipe.name());
    let manifest_path = dir.join("manifest.json");
    let mut status = Provisioned::Generated;
    if let Ok(text) = std::fs::read_to_string(&manifest_path) {
        if let Ok(manifest) = serde_json::from_str::<Manifest>(&text) {
            let files: Vec<PathBuf> = manifest.files.iter().map(|f| dir.join(f)).collect();
            if manifest.recipe == *recipe && fingerprint(recipe, &files).ok().as_deref() == Some(&manifest.info.fingerprint) {
                return Ok((Dataset { info: manifest.info, recipe: Some(recipe.clone()), files }, Provisioned::Reused));
            }
        }
        status = Provisioned::Regenerated;
    }
    Ok((generate(recipe, &dir)?, status))
}

/// Generates the dataset into `dir` (replacing what is there) and writes its manifest.
pub fn generate(recipe: &Recipe, dir: &Path) -> Result<Dataset> {
    if recipe.files == 0 || recipe.rows_per_file == 0 || recipe.symbols == 0 || recipe.row_group_rows == 0 {
        return Err(Error::InvalidOption("a dataset needs at least one file, row, symbol and row per row group".into()));
    }
    let codec = recipe.codec()?;
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io_err("removing stale dataset", dir))?;
    }
    std::fs::create_dir_all(dir).map_err(io_err("creating dataset directory", dir))?;
    let symbols = symbol_table(recipe);
    let names: Vec<String> = (0..recipe.files).map(|i| format!("part-{i:05}.parquet")).collect();
    let sizes: Vec<u64> = names
        .par_iter()
        .enumerate()
        .map(|(index, name)| -> Result<u64> {
            let mut df = trades_frame(recipe, &symbols, index)?;
            let in_memory = df.estimated_size() as u64;
            let path = dir.join(name);
            let tmp = path.with_extension("parquet.partial");
            let file = File::create(&tmp).map_err(io_err("creating", &tmp))?;
            ParquetWriter::new(file)
                .with_compression(codec)
                .with_row_group_size(Some(recipe.row_group_rows))
                .finish(&mut df)?;
            std::fs::rename(&tmp, &path).map_err(io_err("renaming", &tmp))?;
            Ok(in_memory)
        })
        .collect::<Result<_>>()?;
    let files: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
    let info = DatasetInfo {
        name: recipe.name(),
        fingerprint: fingerprint(recipe, &files)?,
        seed: Some(recipe.seed),
        rows: (recipe.files * recipe.rows_per_file) as u64,
        files: files.len(),
        file_bytes: total_bytes(&files)?,
        in_memory_bytes: sizes.iter().sum(),
        row_group_rows: Some(recipe.row_group_rows),
        compression: recipe.compression.clone(),
        path: dir.display().to_string(),
    };
    let manifest = Manifest { recipe: recipe.clone(), info: info.clone(), files: names };
    let manifest_path = dir.join("manifest.json");
    std::fs::write(&manifest_path, serde_json::to_vec_pretty(&manifest)?).map_err(io_err("writing", &manifest_path))?;
    Ok(Dataset { info, recipe: Some(recipe.clone()), files })
}

/// The symbols of a recipe, most frequent first: distinct 3-4 letter tickers derived from the seed.
pub fn symbol_table(recipe: &Recipe) -> Vec<String> {
    let mut rng = ChaCha8Rng::seed_from_u64(recipe.seed ^ 0x5359_4d42_4f4c_5321);
    let mut seen = std::collections::HashSet::new();
    let mut symbols = Vec::with_capacity(recipe.symbols);
    while symbols.len() < recipe.symbols {
        let len = rng.random_range(3..=4);
        let s: String = (0..len).map(|_| rng.random_range(b'A'..=b'Z') as char).collect();
        if seen.insert(s.clone()) {
            symbols.push(s);
        }
    }
    symbols
}

/// One file's trades. Its random stream depends only on the seed and `file_index`.
fn trades_frame(recipe: &Recipe, symbols: &[String], file_index: usize) -> Result<DataFrame> {
    let n = recipe.rows_per_file;
    let first_row = (file_index * n) as u64;
    // Per-symbol reference prices come from the seed alone, so every file agrees on them.
    let mut price_rng = ChaCha8Rng::seed_from_u64(recipe.seed ^ 0x5052_4943_4553);
    let base_price = LogNormal::<f64>::new(4.0, 0.8).expect("constant parameters are valid");
    let bases: Vec<f64> = symbols.iter().map(|_| base_price.sample(&mut price_rng).max(1.0)).collect();

    let mut rng = ChaCha8Rng::seed_from_u64(recipe.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ file_index as u64);
    let zipf = Zipf::new(symbols.len() as f64, 1.1).expect("symbol count >= 1 and exponent > 0");
    let noise = Normal::<f64>::new(0.0, 0.002).expect("constant parameters are valid");
    let size = LogNormal::<f64>::new(3.9, 1.0).expect("constant parameters are valid");

    let mut timestamp = Vec::with_capacity(n);
    let mut symbol = Vec::with_capacity(n);
    let mut price = Vec::with_capacity(n);
    let mut quantity = Vec::with_capacity(n);
    let mut side = Vec::with_capacity(n);
    let mut trade_id = Vec::with_capacity(n);
    for i in 0..n {
        let row = first_row + i as u64;
        let s = zipf.sample(&mut rng) as usize - 1;
        timestamp.push(START_US + row as i64 * 1_000 + rng.random_range(0..1_000));
        symbol.push(symbols[s].as_str());
        price.push(((bases[s] * (1.0 + noise.sample(&mut rng))) * 100.0).round() / 100.0);
        quantity.push((1.0 + size.sample(&mut rng)).min(100_000.0) as i64);
        side.push(if rng.random_bool(0.5) { "buy" } else { "sell" });
        trade_id.push(row);
    }
    let columns = vec![
        Int64Chunked::from_vec("timestamp".into(), timestamp)
            .into_datetime(TimeUnit::Microseconds, None)
            .into_column(),
        Column::new("symbol".into(), symbol),
        Column::new("price".into(), price),
        Column::new("quantity".into(), quantity),
        Column::new("side".into(), side),
        Column::new("trade_id".into(), trade_id),
    ];
    Ok(DataFrame::new(n, columns)?)
}

/// SHA-256 over the recipe (when there is one) and every file's bytes, in order; hex.
pub fn fingerprint(recipe: &Recipe, files: &[PathBuf]) -> Result<String> {
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(recipe)?);
    hash_files(&mut hasher, files)?;
    Ok(hex::encode(hasher.finalize()))
}

fn hash_files(hasher: &mut Sha256, files: &[PathBuf]) -> Result<()> {
    let mut buf = vec![0u8; 1 << 20];
    for path in files {
        let mut f = File::open(path).map_err(io_err("opening", path))?;
        loop {
            let n = f.read(&mut buf).map_err(io_err("reading", path))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
    }
    Ok(())
}

fn total_bytes(files: &[PathBuf]) -> Result<u64> {
    files.iter().map(|p| Ok(std::fs::metadata(p).map_err(io_err("reading metadata of", p))?.len())).sum()
}

/// Opens user-supplied Parquet (one file, or every `*.parquet` in a directory) as a dataset, after checking each
/// file really is Parquet and has the columns the workloads query.
pub fn user_dataset(path: &Path) -> Result<Dataset> {
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(io_err("listing", path))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(Error::NotParquet { path: path.into(), reason: "the directory holds no .parquet files".into() });
        }
        files
    } else if path.exists() {
        vec![path.to_path_buf()]
    } else {
        return Err(Error::NotParquet { path: path.into(), reason: "no such file or directory".into() });
    };
    let mut rows = 0u64;
    let mut in_memory = 0u64;
    for file in &files {
        let (n, bytes) = check_schema(file)?;
        rows += n;
        in_memory += bytes;
    }
    let name = format!("user-{}", path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default());
    supplied(name, path.display().to_string(), files, rows, in_memory)
}

/// A dataset of files the user supplied, fingerprinted by their bytes.
fn supplied(name: String, path: String, files: Vec<PathBuf>, rows: u64, in_memory_bytes: u64) -> Result<Dataset> {
    let mut hasher = Sha256::new();
    hash_files(&mut hasher, &files)?;
    let info = DatasetInfo {
        name,
        fingerprint: hex::encode(hasher.finalize()),
        seed: None,
        rows,
        files: files.len(),
        file_bytes: total_bytes(&files)?,
        in_memory_bytes,
        row_group_rows: None,
        compression: "as supplied".into(),
        path,
    };
    Ok(Dataset { info, recipe: None, files })
}

/// A workload file's tables as one dataset: every table's files, each checked to be readable Parquet, in table
/// order. Rows and the decoded size come from the Parquet footers (the uncompressed size of the column chunks), so
/// no table is read whole before it is measured.
pub fn tables_dataset(name: &str, tables: &[crate::protocol::SqlTable]) -> Result<Dataset> {
    let files: Vec<PathBuf> = tables.iter().flat_map(|t| t.files.iter().cloned()).collect();
    let (mut rows, mut in_memory) = (0u64, 0u64);
    for file in &files {
        let metadata = parquet_footer(file)?;
        rows += metadata.num_rows as u64;
        in_memory += metadata.row_groups.iter().map(|rg| rg.total_byte_size() as u64).sum::<u64>();
    }
    let names = tables.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ");
    supplied(format!("tables-{name}"), names, files, rows, in_memory)
}

/// The footer of a file that must be Parquet: the magic bytes, then the metadata; the error says which is wrong.
fn parquet_footer(path: &Path) -> Result<std::sync::Arc<polars::io::prelude::FileMetadata>> {
    check_magic(path)?;
    ParquetReader::new(File::open(path).map_err(io_err("opening", path))?)
        .get_metadata()
        .cloned()
        .map_err(|e| Error::NotParquet { path: path.into(), reason: format!("its footer cannot be read: {e}") })
}

/// The file starts with Parquet's magic bytes (and is long enough to hold a footer).
fn check_magic(path: &Path) -> Result<()> {
    let bytes = std::fs::metadata(path).map_err(io_err("reading metadata of", path))?.len();
    let mut head = [0u8; 4];
    let mut f = File::open(path).map_err(io_err("opening", path))?;
    if bytes < 12 || f.read_exact(&mut head).is_err() || &head != b"PAR1" {
        return Err(Error::NotParquet { path: path.into(), reason: "it does not start with the Parquet magic bytes PAR1".into() });
    }
    Ok(())
}

/// Checks one user file: Parquet magic bytes, a readable footer, and the required columns with the right types.
/// Returns its row count and its decoded size.
fn check_schema(path: &Path) -> Result<(u64, u64)> {
    let not_parquet = |reason: String| Error::NotParquet { path: path.into(), reason };
    check_magic(path)?;
    let mut reader = ParquetReader::new(File::open(path).map_err(io_err("opening", path))?);
    let schema = reader.schema().map_err(|e| not_parquet(format!("its footer cannot be read: {e}")))?;
    let wrong = |problem: String| Error::WrongSchema { path: path.into(), problem, expected: REQUIRED_COLUMNS.into() };
    let expect: [(&str, fn(&DataType) -> bool); 4] = [
        ("timestamp", |d| matches!(d, DataType::Datetime(_, _))),
        ("symbol", |d| matches!(d, DataType::String)),
        ("price", |d| matches!(d, DataType::Float64)),
        ("quantity", |d| matches!(d, DataType::Int64)),
    ];
    for (name, ok) in expect {
        let field = schema.get(name).ok_or_else(|| wrong(format!("column '{name}' is missing")))?;
        let dtype = DataType::from_arrow_field(field);
        if !ok(&dtype) {
            return Err(wrong(format!("column '{name}' has type {dtype}")));
        }
    }
    // The decoded size is measured, not extrapolated: validation reads the file once.
    let df = ParquetReader::new(File::open(path).map_err(io_err("opening", path))?).finish()?;
    Ok((df.height() as u64, df.estimated_size() as u64))
}

/// The data directory to use: `dir` when given (it must exist), else the default one, created when missing.
pub fn data_dir(dir: Option<&Path>) -> Result<std::path::PathBuf> {
    match dir {
        Some(d) if !d.is_dir() => Err(Error::MissingDataDir { path: d.to_path_buf() }),
        Some(d) => Ok(d.to_path_buf()),
        None => {
            let d = default_data_dir();
            std::fs::create_dir_all(&d).map_err(crate::error::io_err("creating data directory", &d))?;
            Ok(d)
        }
    }
}

/// The default data directory: `$POLAROID_DATA_DIR`, else `~/.cache/polaroid/data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("POLAROID_DATA_DIR") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    home.join(".cache/polaroid/data")
}
