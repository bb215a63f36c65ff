package dev.sluice.data.store;

/**
 * The order stores list keys in: by Unicode code point, which is the byte order of the keys' UTF-8
 * encoding, the order S3's ListObjectsV2 returns. ({@link String#compareTo} compares UTF-16 units
 * and differs for characters above U+FFFF.)
 */
public final class KeyOrder {

    private KeyOrder() {}

    /** Compares two keys by code point; negative, zero or positive as {@code a} sorts before, with or after {@code b}. */
    public static int compare(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
