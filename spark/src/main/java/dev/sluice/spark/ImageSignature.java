package dev.sluice.spark;

import dev.sluice.data.ingest.Encodings;

/**
 * Recognises an image encoding from a file's leading bytes (its magic number) exactly as the
 * single-process imagefolder importer does, through its {@link Encodings#sniff}: jpeg, png, gif,
 * webp, bmp, tiff.
 */
final class ImageSignature implements EncodingDetector {

    private static final long serialVersionUID = 1L;

    @Override
    public String encodingOf(byte[] b) {
        return Encodings.sniff(b);
    }
}
