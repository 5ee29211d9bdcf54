//! Huffman tables fitted to counted symbol frequencies (T.81 Annex K.2's goal, our own
//! construction), built without the heap so it can run between two frames.
//!
//! A stream codes frame N+1 with the tables fitted to frame N. Every symbol of the alphabet
//! gets a code, however rare (each count is raised to at least 1), so a frame unlike the last
//! one still encodes, just less tightly. Codes are at most 16 bits and none is all ones, as
//! a baseline decoder requires.

use super::huffman::{HuffmanTable, SymbolCounts};

/// 256 symbol bytes plus the reserved leaf that keeps every real code from being all ones.
const MAX_LEAVES: usize = 257;
const MAX_NODES: usize = 2 * MAX_LEAVES - 1;
const MAX_CODE_LENGTH: usize = 16;

/// The table that codes `alphabet` (distinct symbol bytes, at least one) in the fewest bits
/// for `counts`, with no code longer than 16 bits.
pub fn fitted_table(counts: &SymbolCounts, alphabet: &[u8]) -> HuffmanTable {
    // Leaf 0 is the reserved one; leaves 1.. are the alphabet, in order.
    let leaves = alphabet.len().min(256) + 1;
    let mut weight = [0u64; MAX_NODES];
    for (leaf, &symbol) in alphabet.iter().take(256).enumerate() {
        weight[leaf + 1] = u64::from(counts[symbol as usize].max(1));
    }
    weight[0] = 1;

    let depth = leaf_depths(&mut weight, leaves);
    let mut per_length = [0u32; MAX_NODES];
    for &d in &depth[..leaves] {
        per_length[usize::from(d)] += 1;
    }
    limit_lengths(&mut per_length);
    // Drop one code of the longest length: that is the reserved leaf's slot, so the codes
    // left never fill the code space and none is all ones.
    if let Some(longest) = (1..=MAX_CODE_LENGTH).rev().find(|&length| per_length[length] > 0) {
        per_length[longest] -= 1;
    }

    // Shortest codes to the most frequent symbols: order the real leaves by their unlimited
    // depth (ties by symbol byte, to be deterministic) and deal out the limited lengths.
    let mut order = [0u16; MAX_LEAVES];
    for (slot, leaf) in order.iter_mut().zip(1..leaves) {
        *slot = leaf as u16;
    }
    let order = &mut order[..leaves - 1];
    order.sort_unstable_by_key(|&leaf| (depth[usize::from(leaf)], alphabet[usize::from(leaf) - 1]));
    let mut dht_counts = [0u8; 16];
    let mut symbols = [0u8; 256];
    for (length, count) in dht_counts.iter_mut().enumerate() {
        *count = per_length[length + 1] as u8;
    }
    for (slot, &leaf) in symbols.iter_mut().zip(order.iter()) {
        *slot = alphabet[usize::from(leaf) - 1];
    }
    HuffmanTable::from_counts(&dht_counts, &symbols[..leaves - 1])
}

/// Unlimited Huffman code lengths of `weight[..leaves]` (leaves >= 2), by the two-queue
/// method: leaves sorted by weight in one queue, merged nodes (created in non-decreasing
/// weight order) in the other, so the two lightest nodes are always at the queue fronts.
/// `weight` is scratch beyond `leaves`. Returns each leaf's depth, indexed like `weight`.
fn leaf_depths(weight: &mut [u64; MAX_NODES], leaves: usize) -> [u16; MAX_NODES] {
    // sorted[i] is the i-th lightest leaf; the reserved leaf 0 sorts first among equals.
    let mut sorted = [0u16; MAX_LEAVES];
    for (slot, leaf) in sorted.iter_mut().zip(0..leaves) {
        *slot = leaf as u16;
    }
    sorted[..leaves].sort_unstable_by_key(|&leaf| (weight[usize::from(leaf)], leaf));

    // Node ids: 0..leaves are leaves (by original index), leaves.. are merged nodes.
    let mut parent = [0u16; MAX_NODES];
    let (mut next_leaf, mut next_merged, mut created) = (0, leaves, leaves);
    let mut take_lightest = |weight: &[u64; MAX_NODES], created: usize| -> usize {
        let leaf_weight = (next_leaf < leaves).then(|| weight[usize::from(sorted[next_leaf])]);
        let merged_weight = (next_merged < created).then(|| weight[next_merged]);
        match (leaf_weight, merged_weight) {
            (Some(l), Some(m)) if l <= m => {
                next_leaf += 1;
                usize::from(sorted[next_leaf - 1])
            }
            (Some(_), None) => {
                next_leaf += 1;
                usize::from(sorted[next_leaf - 1])
            }
            _ => {
                next_merged += 1;
                next_merged - 1
            }
        }
    };
    for _ in 1..leaves {
        let first = take_lightest(weight, created);
        let second = take_lightest(weight, created);
        weight[created] = weight[first] + weight[second];
        parent[first] = created as u16;
        parent[second] = created as u16;
        created += 1;
    }

    // A parent always has a higher id than its children: walk down from the root.
    let root = created - 1;
    let mut depth = [0u16; MAX_NODES];
    for node in (0..root).rev() {
        depth[node] = depth[usize::from(parent[node])] + 1;
    }
    depth
}

/// Makes a count-per-length histogram (index = length) use no length above 16 while still
/// describing a complete prefix code: each step takes two sibling codes at the deepest
/// length, moves one of them up a level and hangs the other, with a former leaf of a
/// shorter length, one level below that leaf's old place.
fn limit_lengths(per_length: &mut [u32; MAX_NODES]) {
    for length in (MAX_CODE_LENGTH + 1..MAX_NODES).rev() {
        while per_length[length] > 0 {
            let mut shorter = length - 2;
            while per_length[shorter] == 0 {
                shorter -= 1;
            }
            per_length[length] -= 2;
            per_length[length - 1] += 1;
            per_length[shorter + 1] += 2;
            per_length[shorter] -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tables::{LUMA_AC_SPEC, LUMA_DC_SPEC};
    use super::*;

    /// Sum over symbols of 2^-length: 1 for a full code, below 1 when a code is left free.
    fn kraft(table: &HuffmanTable, alphabet: &[u8]) -> f64 {
        alphabet.iter().map(|&s| 0.5f64.powi(i32::from(table.code_length(s)))).sum()
    }

    fn coded_bits(table: &HuffmanTable, counts: &SymbolCounts, alphabet: &[u8]) -> u64 {
        alphabet.iter().map(|&s| u64::from(counts[s as usize]) * u64::from(table.code_length(s))).sum()
    }

    #[test]
    fn every_symbol_gets_a_code_of_at_most_16_bits_and_none_is_all_ones() {
        let alphabet = LUMA_AC_SPEC.symbols;
        let mut counts = [0u32; 256];
        counts[0x00] = 5000;
        counts[0x01] = 3000;
        let table = fitted_table(&counts, alphabet);
        assert_eq!(table.dht_symbols().len(), alphabet.len());
        for &symbol in alphabet {
            let length = table.code_length(symbol);
            assert!((1..=16).contains(&length), "symbol {symbol:#x}: length {length}");
        }
        assert!(kraft(&table, alphabet) < 1.0, "a code is all ones");
        assert_eq!(table.dht_counts().iter().map(|&c| usize::from(c)).sum::<usize>(), alphabet.len());
    }

    #[test]
    fn frequent_symbols_get_shorter_codes_and_beat_the_standard_table() {
        let alphabet = LUMA_AC_SPEC.symbols;
        let mut counts = [0u32; 256];
        // Flat content: mostly end-of-block, a few small coefficients.
        counts[0x00] = 10_000;
        counts[0x01] = 2_000;
        counts[0x02] = 500;
        counts[0x11] = 300;
        let fitted = fitted_table(&counts, alphabet);
        assert!(fitted.code_length(0x00) <= fitted.code_length(0x01));
        assert!(fitted.code_length(0x01) <= fitted.code_length(0x11));
        assert_eq!(fitted.code_length(0x00), 1);
        let standard = HuffmanTable::from_spec(&LUMA_AC_SPEC);
        let (ours, theirs) =
            (coded_bits(&fitted, &counts, alphabet), coded_bits(&standard, &counts, alphabet));
        assert!(ours * 10 < theirs * 7, "fitted {ours} bits vs standard {theirs}");
    }

    /// Fibonacci weights give the deepest possible tree; the limit must still hold and the
    /// code stay a valid prefix code.
    #[test]
    fn skewed_counts_are_limited_to_16_bits() {
        let alphabet = LUMA_AC_SPEC.symbols;
        let mut counts = [0u32; 256];
        let (mut a, mut b) = (1u32, 1u32);
        for &symbol in alphabet.iter().take(40) {
            counts[symbol as usize] = a;
            (a, b) = (b, a.saturating_add(b));
        }
        let table = fitted_table(&counts, alphabet);
        assert!(alphabet.iter().all(|&s| (1..=16).contains(&table.code_length(s))));
        let k = kraft(&table, alphabet);
        assert!(k < 1.0 && k > 0.99, "kraft sum {k}");
    }

    #[test]
    fn small_alphabets_work() {
        let counts = [7u32; 256];
        let table = fitted_table(&counts, LUMA_DC_SPEC.symbols);
        assert!(kraft(&table, LUMA_DC_SPEC.symbols) < 1.0);
        let single = fitted_table(&counts, &[0]);
        assert_eq!(single.code_length(0), 1);
    }
}
