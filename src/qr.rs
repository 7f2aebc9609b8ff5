//! QR code pictures (PNG) of invites, to print or to post in a branch's Zalo group. The
//! `qrcode` crate makes the code; its modules are drawn here as a greyscale bitmap and encoded
//! with the `png` crate the charts already use (its `image` feature would bring a second
//! imaging stack for the same few lines).

use qrcode::{Color, EcLevel, QrCode};

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    /// The text does not fit in a QR code.
    #[error("the text does not fit in a QR code: {0}")]
    TooLong(#[from] qrcode::types::QrError),
    #[error("encoding the QR code as PNG failed: {0}")]
    Encode(#[from] png::EncodingError),
}

/// Pixels per module: a code of an invite link (about 40 modules with its margin) comes out
/// about 400 pixels wide, sharp when printed at a few centimetres and easy for a phone camera.
pub const SCALE: usize = 10;
/// The blank margin around the code, in modules, that scanners need (the standard's four).
pub const QUIET_ZONE: usize = 4;

/// `text` as a QR code picture: black on white, error correction level M (a printed sheet may
/// be creased or stained a little).
pub fn png(text: &str) -> Result<Vec<u8>, QrError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QUIET_ZONE, i / modules + QUIET_ZONE);
        for y in my * SCALE..(my + 1) * SCALE {
            pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
        }
    }
    let mut out = Vec::with_capacity(4 * 1024);
    // Both sides are a few hundred pixels: they fit in u32.
    let side = side as u32;
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The picture's size and greyscale pixels.
    fn decode(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("PNG header decodes");
        let mut buf = vec![0; reader.output_buffer_size().expect("size fits")];
        let frame = reader.next_frame(&mut buf).expect("PNG data decodes");
        assert_eq!(frame.color_type, png::ColorType::Grayscale);
        buf.truncate(frame.buffer_size());
        (frame.width as usize, frame.height as usize, buf)
    }

    #[test]
    fn an_invite_link_reads_back_from_its_picture() {
        let link = "https://t.me/chihoi_bot?start=Zm9vYmFyYmF6cXV4MTIzNDU2";
        let bytes = png(link).unwrap();
        let (w, h, pixels) = decode(&bytes);
        assert_eq!(w, h);
        assert!((300..=600).contains(&w), "{w} pixels");
        // The margin is white all round.
        assert!(pixels[..w * QUIET_ZONE * SCALE].iter().all(|&p| p == 255));
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, text) = grids[0].decode().expect("decodes");
        assert_eq!(text, link);
    }

    #[test]
    fn a_text_too_long_for_a_qr_code_is_an_error_not_a_panic() {
        assert!(matches!(png(&"x".repeat(5000)), Err(QrError::TooLong(_))));
    }
}
