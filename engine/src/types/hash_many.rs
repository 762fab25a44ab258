//! Many short Blake3 hashes at once: one message per SIMD lane, 16 lanes with AVX-512, 8 with AVX2, 4 otherwise.
//!
//! **Why.** The state tree hashes thousands of independent 32–64-byte inputs per block (a key and a leaf per changed
//! account, an inner node per changed node of the tree). Each is one Blake3 compression, and one compression on its
//! own is latency-bound: the `blake3` crate takes ~70–80 ns for a 64-byte input on this machine, while hashing a
//! 16 KiB input — 16 chunks compressed side by side — costs ~7 ns a compression. The crate's many-inputs routine is
//! private, so this module compresses independent messages side by side the same way: message `l` of a group lives
//! in lane `l` of every state word, and the rounds run on whole lane arrays, which the compiler turns into vector
//! instructions of the width the function is compiled for (chosen at run time).
//!
//! **What it computes.** Exactly `blake3::hash(input)` (or `blake3::keyed_hash(key, input)`) for each input of up to
//! one chunk (1,024 bytes): the message is split into 64-byte blocks (the last one zero-padded, its length in the
//! block-length word), compressed in order from the IV (or the key) with `CHUNK_START` on the first block and
//! `CHUNK_END | ROOT` on the last, chunk counter 0; the digest is the first 32 bytes of the last compression's output.
//! The tests compare it with the `blake3` crate on random inputs of every length class and group size.

#![allow(clippy::needless_range_loop, reason = "lane loops index several arrays by lane; the compiler vectorises them")]

use super::Hash;

/// Longest input hashed side by side (one Blake3 chunk); longer ones are hashed one by one.
pub const MAX_LEN: usize = 1024;

/// Below this many inputs the lanes would mostly be idle, so the `blake3` crate hashes them one by one.
const MIN_GROUP: usize = 4;

const IV: [u32; 8] =
    [0x6A09_E667, 0xBB67_AE85, 0x3C6E_F372, 0xA54F_F53A, 0x510E_527F, 0x9B05_688C, 0x1F83_D9AB, 0x5BE0_CD19];
const CHUNK_START: u32 = 1;
const CHUNK_END: u32 = 2;
const ROOT: u32 = 8;
const KEYED_HASH: u32 = 16;

/// The message word order of each of the 7 rounds (round r uses the permutation applied r times).
const SCHEDULE: [[usize; 16]; 7] = {
    const PERMUTATION: [usize; 16] = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];
    let mut schedule = [[0usize; 16]; 7];
    let mut i = 0;
    while i < 16 {
        schedule[0][i] = i;
        i += 1;
    }
    let mut r = 1;
    while r < 7 {
        let mut i = 0;
        while i < 16 {
            schedule[r][i] = schedule[r - 1][PERMUTATION[i]];
            i += 1;
        }
        r += 1;
    }
    schedule
};

/// Appends the Blake3 hash of each of `inputs` to `out` (in order), keyed with `key` when given. Runs of at least
/// [`MIN_GROUP`] consecutive inputs of one length up to [`MAX_LEN`] are hashed side by side; the rest one by one.
pub fn hash_many<T: AsRef<[u8]>>(key: Option<&[u8; 32]>, inputs: &[T], out: &mut Vec<Hash>) {
    out.reserve(inputs.len());
    let mut rest = inputs;
    while let Some(first) = rest.first() {
        let len = first.as_ref().len();
        let run = rest.iter().take_while(|i| i.as_ref().len() == len).count();
        let (same, after) = rest.split_at(run);
        if run < MIN_GROUP || len > MAX_LEN {
            out.extend(same.iter().map(|input| match key {
                Some(key) => Hash::keyed(key, input.as_ref()),
                None => Hash::of(input.as_ref()),
            }));
        } else {
            hash_equal_lengths(key, same, len, out);
        }
        rest = after;
    }
}

/// Hashes `inputs`, all `len` bytes long (at most [`MAX_LEN`]), side by side at the widest lane count the CPU has.
fn hash_equal_lengths<T: AsRef<[u8]>>(key: Option<&[u8; 32]>, inputs: &[T], len: usize, out: &mut Vec<Hash>) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked just above), the only requirement of the function.
            return unsafe { hash_lanes_avx512(key, inputs, len, out) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above), the only requirement of the function.
            return unsafe { hash_lanes_avx2(key, inputs, len, out) };
        }
    }
    hash_lanes::<T, 4>(key, inputs, len, out);
}

/// [`hash_lanes`] with 16 lanes, compiled for AVX-512 (one 512-bit register per state word).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn hash_lanes_avx512<T: AsRef<[u8]>>(key: Option<&[u8; 32]>, inputs: &[T], len: usize, out: &mut Vec<Hash>) {
    hash_lanes::<T, 16>(key, inputs, len, out);
}

/// [`hash_lanes`] with 8 lanes, compiled for AVX2 (one 256-bit register per state word).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn hash_lanes_avx2<T: AsRef<[u8]>>(key: Option<&[u8; 32]>, inputs: &[T], len: usize, out: &mut Vec<Hash>) {
    hash_lanes::<T, 8>(key, inputs, len, out);
}

/// Hashes `inputs` (each `len` ≤ [`MAX_LEN`] bytes) in groups of `N`, one input per lane (a last, partial group
/// repeats its first input in the idle lanes and drops their results).
#[inline(always)]
fn hash_lanes<T: AsRef<[u8]>, const N: usize>(key: Option<&[u8; 32]>, inputs: &[T], len: usize, out: &mut Vec<Hash>) {
    let (start_cv, mode) = match key {
        Some(key) => (words_of::<8>(key), KEYED_HASH),
        None => (IV, 0),
    };
    let blocks = len.div_ceil(64).max(1);
    for group in inputs.chunks(N) {
        let mut cv = [[0u32; N]; 8];
        for (word, lanes) in start_cv.iter().zip(cv.iter_mut()) {
            *lanes = [*word; N];
        }
        for block in 0..blocks {
            let start = block * 64;
            let block_len = len.saturating_sub(start).min(64);
            let mut m = [[0u32; N]; 16];
            for lane in 0..N {
                let input = group.get(lane).unwrap_or(&group[0]).as_ref();
                let mut bytes = [0u8; 64];
                bytes[..block_len].copy_from_slice(&input[start..start + block_len]);
                for (w, chunk) in bytes.chunks_exact(4).enumerate() {
                    m[w][lane] = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
                }
            }
            let mut flags = mode;
            if block == 0 {
                flags |= CHUNK_START;
            }
            if block + 1 == blocks {
                flags |= CHUNK_END | ROOT;
            }
            compress(&mut cv, &m, block_len as u32, flags);
        }
        for lane in 0..group.len() {
            let mut digest = [0u8; 32];
            for (w, bytes) in digest.chunks_exact_mut(4).enumerate() {
                bytes.copy_from_slice(&cv[w][lane].to_le_bytes());
            }
            out.push(Hash(digest));
        }
    }
}

/// The little-endian 32-bit words of `bytes`.
fn words_of<const W: usize>(bytes: &[u8]) -> [u32; W] {
    std::array::from_fn(|i| u32::from_le_bytes([bytes[4 * i], bytes[4 * i + 1], bytes[4 * i + 2], bytes[4 * i + 3]]))
}

/// One Blake3 compression in every lane, chunk counter 0: `cv` becomes the first half of the output.
#[inline(always)]
fn compress<const N: usize>(cv: &mut [[u32; N]; 8], m: &[[u32; N]; 16], block_len: u32, flags: u32) {
    let mut v = [[0u32; N]; 16];
    v[..8].copy_from_slice(cv);
    for i in 0..4 {
        v[8 + i] = [IV[i]; N];
    }
    v[14] = [block_len; N];
    v[15] = [flags; N];
    for s in &SCHEDULE {
        g(&mut v, [0, 4, 8, 12], &m[s[0]], &m[s[1]]);
        g(&mut v, [1, 5, 9, 13], &m[s[2]], &m[s[3]]);
        g(&mut v, [2, 6, 10, 14], &m[s[4]], &m[s[5]]);
        g(&mut v, [3, 7, 11, 15], &m[s[6]], &m[s[7]]);
        g(&mut v, [0, 5, 10, 15], &m[s[8]], &m[s[9]]);
        g(&mut v, [1, 6, 11, 12], &m[s[10]], &m[s[11]]);
        g(&mut v, [2, 7, 8, 13], &m[s[12]], &m[s[13]]);
        g(&mut v, [3, 4, 9, 14], &m[s[14]], &m[s[15]]);
    }
    for i in 0..8 {
        for lane in 0..N {
            cv[i][lane] = v[i][lane] ^ v[i + 8][lane];
        }
    }
}

/// Blake3's quarter-round on state words `[a, b, c, d]` with message words `x`, `y`, in every lane.
#[inline(always)]
fn g<const N: usize>(v: &mut [[u32; N]; 16], [a, b, c, d]: [usize; 4], x: &[u32; N], y: &[u32; N]) {
    for l in 0..N {
        v[a][l] = v[a][l].wrapping_add(v[b][l]).wrapping_add(x[l]);
        v[d][l] = (v[d][l] ^ v[a][l]).rotate_right(16);
        v[c][l] = v[c][l].wrapping_add(v[d][l]);
        v[b][l] = (v[b][l] ^ v[c][l]).rotate_right(12);
        v[a][l] = v[a][l].wrapping_add(v[b][l]).wrapping_add(y[l]);
        v[d][l] = (v[d][l] ^ v[a][l]).rotate_right(8);
        v[c][l] = v[c][l].wrapping_add(v[d][l]);
        v[b][l] = (v[b][l] ^ v[c][l]).rotate_right(7);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn check<const LEN: usize>(rng: &mut ChaCha8Rng, seed: u64) {
        let mut key = [0u8; 32];
        rng.fill_bytes(&mut key);
        for count in [0usize, 1, 3, 4, 5, 8, 15, 16, 17, 33, 100] {
            let inputs: Vec<[u8; LEN]> = (0..count)
                .map(|_| {
                    let mut b = [0u8; LEN];
                    rng.fill_bytes(&mut b);
                    b
                })
                .collect();
            for keyed in [None, Some(&key)] {
                let mut got = Vec::new();
                hash_many(keyed, &inputs, &mut got);
                let want: Vec<Hash> = inputs
                    .iter()
                    .map(|i| match keyed {
                        Some(k) => Hash(*blake3::keyed_hash(k, i).as_bytes()),
                        None => Hash(*blake3::hash(i).as_bytes()),
                    })
                    .collect();
                assert_eq!(got, want, "seed {seed}: {count} inputs of {LEN} bytes, keyed {}", keyed.is_some());
                // Every lane width gives the same, whatever the CPU picks.
                for lanes in
                    [lanes::<LEN, 4>(keyed, &inputs), lanes::<LEN, 8>(keyed, &inputs), lanes::<LEN, 16>(keyed, &inputs)]
                {
                    assert_eq!(lanes, want, "seed {seed}: lane width, {count} inputs of {LEN} bytes");
                }
            }
        }
    }

    fn lanes<const LEN: usize, const N: usize>(key: Option<&[u8; 32]>, inputs: &[[u8; LEN]]) -> Vec<Hash> {
        let mut out = Vec::new();
        hash_lanes::<[u8; LEN], N>(key, inputs, LEN, &mut out);
        out
    }

    #[test]
    fn equals_the_blake3_crate_for_every_length_class() {
        let seed = 2026;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        check::<0>(&mut rng, seed);
        check::<1>(&mut rng, seed);
        check::<32>(&mut rng, seed);
        check::<48>(&mut rng, seed);
        check::<63>(&mut rng, seed);
        check::<64>(&mut rng, seed);
        check::<65>(&mut rng, seed);
        check::<128>(&mut rng, seed);
        check::<200>(&mut rng, seed);
        check::<1024>(&mut rng, seed);
    }

    /// Inputs of mixed lengths, some beyond one chunk: runs of one length go side by side, the rest one by one, all
    /// in order.
    #[test]
    fn mixed_lengths_keep_their_order() {
        let seed = 7;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let lengths = [165usize, 165, 165, 165, 165, 166, 165, 2000, 2000, 2000, 2000, 64, 64, 64, 64, 64, 0];
        let inputs: Vec<Vec<u8>> = lengths
            .iter()
            .map(|&n| {
                let mut b = vec![0u8; n];
                rng.fill_bytes(&mut b);
                b
            })
            .collect();
        let mut got = Vec::new();
        hash_many(None, &inputs, &mut got);
        let want: Vec<Hash> = inputs.iter().map(|i| Hash(*blake3::hash(i).as_bytes())).collect();
        assert_eq!(got, want, "seed {seed}");
    }

    #[test]
    fn appends_to_what_out_holds() {
        let mut out = vec![Hash::ZERO];
        hash_many(None, &[[1u8; 64]; 5], &mut out);
        assert_eq!(out.len(), 6);
        assert_eq!(out[0], Hash::ZERO);
        assert_eq!(out[5], Hash::of(&[1u8; 64]));
    }
}
