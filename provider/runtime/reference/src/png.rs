//! A deterministic PNG encoder: 8-bit RGBA, no interlace, filter 0 on every row, the image data
//! in stored (uncompressed) deflate blocks of 65535 bytes. Compressors differ between versions and
//! settings; stored blocks make the file a pure function of the pixels, so the provider and the
//! client assemble the same bytes.

use alloc::vec::Vec;

/// The PNG file of a `width × height` RGBA8 image (`rgba` row-major, 4 bytes a pixel).
pub fn encode_rgba(width: usize, height: usize, rgba: &[u8]) -> Vec<u8> {
    debug_assert_eq!(rgba.len(), width * height * 4);
    let mut raw = Vec::with_capacity(height * (width * 4 + 1));
    for row in rgba.chunks_exact(width * 4) {
        raw.push(0);
        raw.extend_from_slice(row);
    }
    let mut zlib = Vec::with_capacity(raw.len() + raw.len() / 65535 * 5 + 16);
    zlib.extend_from_slice(&[0x78, 0x01]);
    let blocks: Vec<&[u8]> = if raw.is_empty() {
        alloc::vec![&raw[..]]
    } else {
        raw.chunks(65535).collect()
    };
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());

    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&(width as u32).to_be_bytes());
    ihdr.extend_from_slice(&(height as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);

    let mut out = Vec::with_capacity(zlib.len() + 64);
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (ISO 3309, reflected, polynomial 0xEDB88320), as PNG chunks use.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Adler-32 (RFC 1950).
pub fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += x as u32;
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_values() {
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn a_one_pixel_png_has_the_expected_layout() {
        let png = encode_rgba(1, 1, &[1, 2, 3, 255]);
        // signature 8 + IHDR 25 + IDAT (12 + 2 + 5 + 5 + 4) + IEND 12.
        assert_eq!(png.len(), 8 + 25 + 28 + 12);
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(&png[41..51], &[0x78, 0x01, 1, 5, 0, 0xfa, 0xff, 0, 1, 2]);
        assert_eq!(
            &png[png.len() - 8..],
            &[b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]
        );
    }

    #[test]
    fn large_images_split_into_stored_blocks() {
        let (w, h) = (200, 100);
        let png = encode_rgba(w, h, &alloc::vec![7u8; w * h * 4]);
        let raw = h * (w * 4 + 1);
        let blocks = raw.div_ceil(65535);
        assert_eq!(png.len(), 8 + 25 + 12 + 2 + blocks * 5 + raw + 4 + 12);
    }
}
