//! Where the bytes of a block go: compressed and uncompressed size per column of a Parquet data
//! file, largest first, with bytes per row. Used to choose encodings by measurement.

use std::path::PathBuf;

use clap::Args;
use parquet::file::reader::{FileReader, SerializedFileReader};

/// Options of `sightline-bench block-stats`.
#[derive(Debug, Args)]
pub struct BlockStatsArgs {
    /// A block's data.parquet.
    file: PathBuf,
    /// Columns to show.
    #[arg(long, default_value_t = 30)]
    top: usize,
}

/// Prints the per-column sizes of a Parquet file.
pub fn run(args: BlockStatsArgs) -> anyhow::Result<()> {
    let reader = SerializedFileReader::new(std::fs::File::open(&args.file)?)?;
    let metadata = reader.metadata();
    let rows = metadata.file_metadata().num_rows().max(1) as f64;
    let mut columns: Vec<(String, i64, i64, String)> = Vec::new();
    for row_group in metadata.row_groups() {
        for column in row_group.columns() {
            let name = column.column_path().string();
            let encodings = format!("{:?}", column.encodings().collect::<Vec<_>>());
            match columns.iter_mut().find(|(n, ..)| *n == name) {
                Some(entry) => {
                    entry.1 += column.compressed_size();
                    entry.2 += column.uncompressed_size();
                }
                None => columns.push((
                    name,
                    column.compressed_size(),
                    column.uncompressed_size(),
                    encodings,
                )),
            }
        }
    }
    columns.sort_by_key(|(_, compressed, ..)| -compressed);
    let total: i64 = columns.iter().map(|c| c.1).sum();
    println!(
        "{} rows, {} row groups, {} columns, {:.1} bytes/row compressed",
        rows,
        metadata.num_row_groups(),
        columns.len(),
        total as f64 / rows
    );
    println!(
        "{:>9} {:>9} {:>6}  column (encodings)",
        "B/row", "raw B/row", "share"
    );
    for (name, compressed, uncompressed, encodings) in columns.iter().take(args.top) {
        println!(
            "{:>9.2} {:>9.2} {:>5.1}%  {name} {encodings}",
            *compressed as f64 / rows,
            *uncompressed as f64 / rows,
            100.0 * *compressed as f64 / total as f64
        );
    }
    Ok(())
}
