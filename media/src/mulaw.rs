//! G.711 µ-law companding, table driven.
//!
//! Both directions are plain table look-ups generated at compile time from the
//! ITU-T G.711 / CCITT reference algorithm (the Sun `g711.c` formulation), so
//! encoding a 20 ms frame costs 160 loads. No crate on crates.io offers a
//! table-driven, allocation-free G.711 with slice APIs, hence this module.

const BIAS: i32 = 0x84;
/// Largest magnitude (14-bit domain) before clipping.
const CLIP: i32 = 8159;
const SEG_UEND: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];

/// µ-law code of digital silence (positive zero).
pub const SILENCE: u8 = 0xFF;

const fn decode_one(code: u8) -> i16 {
    let u = !code;
    let mut t = (((u & 0x0F) as i32) << 3) + BIAS;
    t <<= ((u & 0x70) >> 4) as i32;
    if u & 0x80 != 0 {
        (BIAS - t) as i16
    } else {
        (t - BIAS) as i16
    }
}

/// Reference encoder on a 14-bit sample (the 16-bit sample shifted right by 2).
const fn encode_14(pcm14: i32) -> u8 {
    let (mut v, mask): (i32, i32) = if pcm14 < 0 { (-pcm14, 0x7F) } else { (pcm14, 0xFF) };
    if v > CLIP {
        v = CLIP;
    }
    v += BIAS >> 2;
    let mut seg = 0;
    while seg < 8 && v > SEG_UEND[seg] {
        seg += 1;
    }
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let uval = ((seg as i32) << 4) | ((v >> (seg as i32 + 1)) & 0x0F);
    (uval ^ mask) as u8
}

const DECODE: [i16; 256] = {
    let mut table = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = decode_one(i as u8);
        i += 1;
    }
    table
};

/// Indexed by the 14-bit two's-complement sample (`sample >> 2`, masked).
const ENCODE: [u8; 16384] = {
    let mut table = [0u8; 16384];
    let mut i = 0;
    while i < 16384 {
        // Sign-extend the 14-bit index.
        let pcm14 = if i >= 8192 { i as i32 - 16384 } else { i as i32 };
        table[i] = encode_14(pcm14);
        i += 1;
    }
    table
};

/// Decodes one µ-law byte to 16-bit linear PCM.
#[inline]
pub fn decode(code: u8) -> i16 {
    DECODE[code as usize]
}

/// Encodes one 16-bit linear PCM sample to µ-law.
#[inline]
pub fn encode(sample: i16) -> u8 {
    ENCODE[((sample >> 2) as u16 & 0x3FFF) as usize]
}

/// Decodes a µ-law buffer, appending PCM samples to `out`.
pub fn decode_into(codes: &[u8], out: &mut Vec<i16>) {
    out.extend(codes.iter().map(|&c| DECODE[c as usize]));
}

/// Encodes PCM samples, appending µ-law bytes to `out`.
pub fn encode_into(samples: &[i16], out: &mut Vec<u8>) {
    out.extend(samples.iter().map(|&s| encode(s)));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// First and last rows of the published G.711 µ-law expansion table
    /// (codes 0x00-0x0F and 0x70-0x7F, negative half; the positive half mirrors it).
    #[test]
    fn decode_matches_g711_reference_values() {
        let first_row: [i16; 16] = [
            -32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956, -23932, -22908, -21884, -20860, -19836,
            -18812, -17788, -16764,
        ];
        let last_row: [i16; 16] = [
            -876, -844, -812, -780, -748, -716, -684, -652, -620, -588, -556, -524, -492, -460, -428, -396,
        ];
        let zero_row: [i16; 8] = [-56, -48, -40, -32, -24, -16, -8, 0];
        for (i, v) in first_row.iter().enumerate() {
            assert_eq!(decode(i as u8), *v, "code {i:#04x}");
            assert_eq!(decode(0x80 | i as u8), -*v, "code {:#04x}", 0x80 | i);
        }
        for (i, v) in last_row.iter().enumerate() {
            assert_eq!(decode(0x50 + i as u8), *v, "code {:#04x}", 0x50 + i);
        }
        for (i, v) in zero_row.iter().enumerate() {
            assert_eq!(decode(0x78 + i as u8), *v, "code {:#04x}", 0x78 + i);
        }
        assert_eq!(decode(0xFF), 0);
        assert_eq!(decode(0x80), 32124);
    }

    #[test]
    fn encode_matches_g711_reference_values() {
        assert_eq!(encode(0), 0xFF);
        assert_eq!(encode(-1), 0x7E);
        assert_eq!(encode(i16::MAX), 0x80);
        assert_eq!(encode(i16::MIN), 0x00);
        assert_eq!(encode(32124), 0x80);
        assert_eq!(encode(-32124), 0x00);
        // Segment boundaries of the positive half (14-bit decision values x 4).
        assert_eq!(encode(120), 0xF0);
        assert_eq!(encode(-120), 0x70);
    }

    #[test]
    fn every_code_round_trips() {
        for code in 0..=255u8 {
            let back = encode(decode(code));
            // 0x7F is negative zero; it encodes back as positive zero.
            let want = if code == 0x7F { 0xFF } else { code };
            assert_eq!(back, want, "code {code:#04x}");
        }
    }

    #[test]
    fn quantisation_error_is_bounded_by_segment_step() {
        for s in (i16::MIN..=i16::MAX).step_by(7) {
            let d = decode(encode(s)) as i32;
            let err = (d - s as i32).abs();
            // Half of the largest step (1024) plus the clipping region.
            let bound = if s.unsigned_abs() > 32124 { 700 } else { 516 };
            assert!(err <= bound, "sample {s} decoded {d}");
            // Relative error in the companded range stays under 5% (half a step at the bottom of a segment).
            if s.unsigned_abs() > 256 {
                assert!((err as f64) / (s.unsigned_abs() as f64) < 0.05, "sample {s}");
            }
        }
    }
}
