package dev.sluice.spark;

import org.apache.spark.sql.SparkSession;

/** The Spark session of a test class: local, no UI, loopback only, few shuffle partitions. */
final class SparkTestSession {

    private SparkTestSession() {}

    /** @param master e.g. {@code local[2,4]}: two threads, a task may be tried four times */
    static SparkSession start(String master) {
        return SparkSession.builder()
                .master(master)
                .appName("sluice-spark-test")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "4")
                // Spark would claim the JVM's one URL stream handler factory for Hadoop paths; S3Mock's
                // Tomcat needs it when it starts after a Spark session in the same test JVM
                .config("spark.sql.defaultUrlStreamHandlerFactory.enabled", "false")
                .getOrCreate();
    }
}
