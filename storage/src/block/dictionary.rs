//! Concatenating dictionary-encoded columns (service name, resource, scope, span name, ...) of
//! many head batches: one shared dictionary is built from the (small) per-batch dictionaries and
//! the keys are remapped, instead of re-hashing every row's value.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BinaryArray, DictionaryArray, Int32Array, Int32Builder, StringArray,
};
use arrow::datatypes::Int32Type;

use super::merge::Run;
use crate::error::{StorageError, StorageResult};

/// The values of a dictionary as bytes, and whether they are UTF-8 strings.
fn dictionary_values(array: &dyn Array) -> StorageResult<(Vec<&[u8]>, bool)> {
    if let Some(strings) = array.as_any().downcast_ref::<StringArray>() {
        return Ok((
            (0..strings.len())
                .map(|i| strings.value(i).as_bytes())
                .collect(),
            true,
        ));
    }
    if let Some(binary) = array.as_any().downcast_ref::<BinaryArray>() {
        return Ok(((0..binary.len()).map(|i| binary.value(i)).collect(), false));
    }
    Err(StorageError::corrupt(
        "block",
        format!("unsupported dictionary values {}", array.data_type()),
    ))
}

/// Concatenates the `runs` of `parts` (Int32-keyed dictionaries of Utf8 or Binary values).
pub(crate) fn concat_dictionary_runs(parts: &[ArrayRef], runs: &[Run]) -> StorageResult<ArrayRef> {
    let dictionaries: Vec<&DictionaryArray<Int32Type>> = parts
        .iter()
        .map(|part| {
            part.as_any()
                .downcast_ref::<DictionaryArray<Int32Type>>()
                .ok_or_else(|| {
                    StorageError::corrupt("block", "expected an Int32 dictionary column")
                })
        })
        .collect::<StorageResult<_>>()?;

    let mut positions: HashMap<&[u8], i32> = HashMap::new();
    let mut values: Vec<&[u8]> = Vec::new();
    let mut is_utf8 = true;
    let mut remaps: Vec<Vec<i32>> = Vec::with_capacity(dictionaries.len());
    for dictionary in &dictionaries {
        let (part_values, utf8) = dictionary_values(dictionary.values().as_ref())?;
        is_utf8 &= utf8 || part_values.is_empty();
        let remap = part_values
            .into_iter()
            .map(|value| {
                *positions.entry(value).or_insert_with(|| {
                    values.push(value);
                    (values.len() - 1) as i32
                })
            })
            .collect();
        remaps.push(remap);
    }

    let total: usize = runs.iter().map(|r| r.len).sum();
    let mut keys = Int32Builder::with_capacity(total);
    for run in runs {
        let part_keys: &Int32Array = dictionaries[run.batch].keys();
        let remap = &remaps[run.batch];
        for row in run.start..run.start + run.len {
            if part_keys.is_valid(row) {
                keys.append_value(remap[part_keys.value(row) as usize]);
            } else {
                keys.append_null();
            }
        }
    }
    let values: ArrayRef = if is_utf8 {
        let strings = values
            .iter()
            .map(|v| std::str::from_utf8(v).expect("values of Utf8 dictionaries"));
        Arc::new(StringArray::from_iter_values(strings))
    } else {
        Arc::new(BinaryArray::from_iter_values(values))
    };
    Ok(Arc::new(DictionaryArray::try_new(keys.finish(), values)?))
}
