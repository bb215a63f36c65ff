package dev.sluice.spark;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;

/**
 * Follows the Spark jobs of one write (marked by a local property) and their running task attempts, so
 * that after a failed job the driver removes shards only once no attempt of it can publish another.
 * Spark cancels the remaining attempts of a failed job asynchronously; their ends arrive here.
 */
final class JobTasks extends SparkListener {

    /** The local property that marks a write's jobs. */
    static final String PROPERTY = "sluice.write.job";

    private final String jobId;
    private final Set<Integer> jobs = new HashSet<>();
    private final Set<Integer> stages = new HashSet<>();
    private int runningJobs;
    private int runningTasks;

    JobTasks(String jobId) {
        this.jobId = jobId;
    }

    @Override
    public synchronized void onJobStart(SparkListenerJobStart start) {
        if (start.properties() != null && jobId.equals(start.properties().getProperty(PROPERTY))) {
            jobs.add(start.jobId());
            for (Object s : scala.jdk.javaapi.CollectionConverters.asJava(start.stageIds())) {
                stages.add((Integer) s);
            }
            runningJobs++;
        }
    }

    @Override
    public synchronized void onJobEnd(SparkListenerJobEnd end) {
        if (jobs.contains(end.jobId())) {
            runningJobs--;
            notifyAll();
        }
    }

    @Override
    public synchronized void onTaskStart(SparkListenerTaskStart start) {
        if (stages.contains(start.stageId())) {
            runningTasks++;
        }
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
        if (stages.contains(end.stageId())) {
            runningTasks--;
            notifyAll();
        }
    }

    /**
     * Waits until every job of the write has ended and none of its task attempts is running.
     *
     * @return whether that happened within {@code timeout}
     */
    synchronized boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (runningJobs > 0 || runningTasks > 0 || jobs.isEmpty()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            // jobs.isEmpty(): the job's start may still be on its way through the listener bus
            if (jobs.isEmpty() && left < timeout.toNanos() - Duration.ofSeconds(5).toNanos()) {
                return true;
            }
            wait(Math.max(1, Math.min(left / 1_000_000, 1000)));
        }
        return true;
    }
}
