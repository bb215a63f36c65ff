package dev.sluice.data.store;

/**
 * A parsed {@code s3://bucket/prefix} location. The prefix is empty (the whole bucket) or ends
 * with {@code /}, so a store key {@code k} lives at the S3 key {@code prefix + k}.
 *
 * @param bucket bucket name
 * @param prefix S3 key prefix of the store root: empty or ending in {@code /}
 */
public record S3Location(String bucket, String prefix) {

    public S3Location {
        if (bucket == null || bucket.isEmpty() || bucket.contains("/")) {
            throw new IllegalArgumentException("invalid S3 bucket name '" + bucket + "'");
        }
        if (prefix == null || (!prefix.isEmpty() && !prefix.endsWith("/")) || prefix.startsWith("/")) {
            throw new IllegalArgumentException("S3 prefix must be empty or end with '/' and not start with it: '"
                    + prefix + "'");
        }
    }

    /**
     * Parses {@code s3://bucket}, {@code s3://bucket/} or {@code s3://bucket/some/prefix[/]}.
     *
     * @throws IllegalArgumentException with the expected form when {@code location} is not one
     */
    public static S3Location parse(String location) {
        if (location == null || !location.startsWith("s3://")) {
            throw new IllegalArgumentException("not an S3 location: '" + location + "'; expected s3://bucket/prefix");
        }
        String rest = location.substring("s3://".length());
        if (rest.contains("?") || rest.contains("#")) {
            throw new IllegalArgumentException("S3 location '" + location
                    + "' has a query or fragment; expected s3://bucket/prefix");
        }
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        if (bucket.isEmpty()) {
            throw new IllegalArgumentException("S3 location '" + location + "' names no bucket; expected s3://bucket/prefix");
        }
        String prefix = slash < 0 ? "" : rest.substring(slash + 1);
        while (prefix.startsWith("/")) {
            prefix = prefix.substring(1);
        }
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            prefix = prefix + "/";
        }
        return new S3Location(bucket, prefix);
    }

    /** The S3 key of a store key. */
    public String objectKey(String key) {
        return prefix + key;
    }

    /** The store key of an S3 key below the prefix. */
    public String storeKey(String objectKey) {
        if (!objectKey.startsWith(prefix)) {
            throw new IllegalArgumentException("S3 key '" + objectKey + "' is not below prefix '" + prefix + "'");
        }
        return objectKey.substring(prefix.length());
    }

    /** {@code s3://bucket/prefix} without a trailing slash (never holds credentials). */
    @Override
    public String toString() {
        return prefix.isEmpty() ? "s3://" + bucket : "s3://" + bucket + "/" + prefix.substring(0, prefix.length() - 1);
    }
}
