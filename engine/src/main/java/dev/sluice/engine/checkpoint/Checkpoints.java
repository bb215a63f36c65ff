package dev.sluice.engine.checkpoint;

import dev.sluice.data.store.ObjectInfo;
import dev.sluice.data.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checkpoints of a run in a directory or under an {@code s3://} prefix: each is one object
 * {@code ckpt-<step>.ckpt}, written locally and published atomically (rename, or one complete S3
 * object), so a reader never sees half of one; the newest {@code keep} are kept.
 */
public final class Checkpoints {

    private static final Pattern NAME = Pattern.compile("ckpt-(\\d{12})\\.ckpt");

    private final ObjectStore store;
    private final int keep;

    /**
     * @param store where checkpoints live (the run's checkpoint directory or prefix)
     * @param keep how many of the newest to keep (at least 1)
     */
    public Checkpoints(ObjectStore store, int keep) {
        this.store = store;
        this.keep = Math.max(1, keep);
    }

    /** Key of the checkpoint taken after {@code step} steps. */
    public static String key(long step) {
        return String.format("ckpt-%012d.ckpt", step);
    }

    /** Printable location of a checkpoint. */
    public String where(long step) {
        String loc = store.location();
        return (loc.endsWith("/") ? loc : loc + "/") + key(step);
    }

    /** Saves a checkpoint and removes the oldest beyond {@code keep}; returns its location. */
    public String save(Checkpoint cp) throws IOException {
        Path tmp = Files.createTempFile("sluice-ckpt-", ".tmp");
        try {
            CheckpointCodec.write(cp, tmp);
            store.publish(key(cp.step()), tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
        List<Long> steps = steps();
        for (int i = 0; i < steps.size() - keep; i++) {
            store.delete(key(steps.get(i)));
        }
        return where(cp.step());
    }

    /** Steps of the checkpoints present, oldest first. */
    public List<Long> steps() throws IOException {
        List<Long> out = new ArrayList<>();
        for (ObjectInfo o : store.list("")) {
            Matcher m = NAME.matcher(o.key());
            if (m.matches()) {
                out.add(Long.parseLong(m.group(1)));
            }
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /** Reads and checks one checkpoint. */
    public Checkpoint read(long step) throws IOException {
        byte[] bytes = store.readAll(key(step));
        return CheckpointCodec.read(ByteBuffer.wrap(bytes), where(step));
    }

    /**
     * The newest checkpoint that reads back intact; damaged ones are reported to {@code skipped}
     * and passed over.
     */
    public Optional<Checkpoint> latestValid(Consumer<String> skipped) throws IOException {
        List<Long> steps = steps();
        for (int i = steps.size() - 1; i >= 0; i--) {
            try {
                return Optional.of(read(steps.get(i)));
            } catch (CheckpointException e) {
                skipped.accept(e.getMessage());
            }
        }
        return Optional.empty();
    }
}
