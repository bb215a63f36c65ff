package dev.sluice.data.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class S3LocationTest {

    @Test
    void parsesBucketAndPrefixIntoTheCanonicalForm() {
        assertEquals(new S3Location("b", ""), S3Location.parse("s3://b"));
        assertEquals(new S3Location("b", ""), S3Location.parse("s3://b/"));
        assertEquals(new S3Location("b", "data/set/"), S3Location.parse("s3://b/data/set"));
        assertEquals(new S3Location("b", "data/set/"), S3Location.parse("s3://b/data/set/"));
        assertEquals(new S3Location("b", "x/"), S3Location.parse("s3://b//x"));
    }

    @Test
    void mapsKeysBothWaysAndPrintsWithoutTrailingSlash() {
        S3Location loc = S3Location.parse("s3://bucket/ds/v1");
        assertEquals("ds/v1/shard-0", loc.objectKey("shard-0"));
        assertEquals("shard-0", loc.storeKey("ds/v1/shard-0"));
        assertEquals("s3://bucket/ds/v1", loc.toString());
        assertEquals("s3://bucket", S3Location.parse("s3://bucket/").toString());
        assertThrows(IllegalArgumentException.class, () -> loc.storeKey("other/shard-0"));
    }

    @Test
    void rejectsMalformedLocationsWithTheExpectedForm() {
        for (String bad : new String[] {"s3://", "s3:///prefix", "file:///x", "s3://b/p?versionId=1", "S3://b"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> S3Location.parse(bad), bad);
            assertTrue(e.getMessage().contains("s3://bucket/prefix") || e.getMessage().contains("bucket"), e.getMessage());
        }
    }
}
