//! The one seeded random number generator (SplitMix64) and what is derived from it.
//!
//! Nothing in crashpoint may use randomness that does not come from here.

/// SplitMix64: small, fast, and the same on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        assert!(bound > 0);
        self.next_u64() % bound
    }

    /// A version-4 UUID string.
    pub fn uuid(&mut self) -> String {
        let hi = (self.next_u64() & !0xF000) | 0x4000;
        let lo = (self.next_u64() & !(0xC000 << 48)) | (0x8000 << 48);
        let hex = format!("{hi:016x}{lo:016x}");
        format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
    }
}

/// FNV-1a, 64 bits: a stable hash for fingerprints and derived seeds.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// A seed derived from a parent seed and a label, so that streams do not overlap.
pub fn derive(seed: u64, label: &str) -> u64 {
    Rng::new(seed ^ fnv1a(label.as_bytes())).next_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_has_the_v4_shape() {
        let id = Rng::new(7).uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn the_stream_is_splitmix64() {
        // Reference outputs of SplitMix64 (Steele, Lea and Flood; Vigna's splitmix64.c), computed
        // independently of this code: query ids and part-file names in every snapshot hang on them.
        let cases: [(u64, &[u64]); 2] = [
            (0, &[0xE220_A839_7B1D_CDAF]),
            (
                1_234_567,
                &[
                    6_457_827_717_110_365_317,
                    3_203_168_211_198_807_973,
                    9_817_491_932_198_370_423,
                    4_593_380_528_125_082_431,
                    16_408_922_859_458_223_821,
                ],
            ),
        ];
        for (seed, expected) in cases {
            let mut rng = Rng::new(seed);
            let got: Vec<u64> = expected.iter().map(|_| rng.next_u64()).collect();
            assert_eq!(got, expected, "seed {seed}");
        }
    }

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        // From the FNV reference (Fowler, Noll, Vo): plan fingerprints and derived seeds use it.
        let cases: [(&str, u64); 3] =
            [("", 0xcbf2_9ce4_8422_2325), ("a", 0xaf63_dc4c_8601_ec8c), ("foobar", 0x8594_4171_f739_67e8)];
        for (input, expected) in cases {
            assert_eq!(fnv1a(input.as_bytes()), expected, "{input:?}");
        }
    }

    #[test]
    fn derived_seeds_differ_by_label_and_parent() {
        assert_ne!(derive(1, "query-id"), derive(1, "part-files"));
        assert_ne!(derive(1, "query-id"), derive(2, "query-id"));
        assert_eq!(derive(1, "query-id"), Rng::new(1 ^ fnv1a(b"query-id")).next_u64());
    }
}
