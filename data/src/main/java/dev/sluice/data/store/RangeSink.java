package dev.sluice.data.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.async.SdkPublisher;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * Receives one ranged GET straight into a region of the caller's buffer: each body chunk the client
 * delivers is copied once into {@code dst[start, start + length)}; there is no whole-object array.
 * (The chunk itself is a heap array that the CRT's JNI layer fills from its native buffer; neither
 * the CRT nor the SDK offers the body as a direct buffer, so this one copy is the least.)
 *
 * <p>Asked for a checksum, the sink computes the CRC-32C of the bytes as it copies them, block by
 * block, so the checksum reads bytes the copy has just brought into cache instead of a second pass
 * over the whole range from memory later; {@link #crc32c()} gives it once the transfer is complete.
 *
 * <p>One sink serves one attempt. It writes through its own view of the buffer and never moves the
 * caller's position, so a failed attempt leaves nothing to undo and the next attempt starts again
 * at {@code start}; the caller's position moves only after a complete, verified transfer. Once
 * {@link #abandon()} returns the sink writes nothing more, even if the transport still delivers.
 *
 * <p>The transfer is complete only if exactly {@code length} bytes arrived. A body cut short fails
 * the attempt with {@link ShortBody} (worth retrying); an object that really ends before the range
 * does fails with {@link ObjectTooShort}; a response for another range with {@link BadResponse}.
 */
final class RangeSink implements AsyncResponseTransformer<GetObjectResponse, Long> {

    private final ByteBuffer dst;
    private final int start;
    private final int length;
    private final long offset;
    private final Retrier.Progress progress;
    private final CRC32C crc;

    private final Object lock = new Object();
    private boolean abandoned;
    private ByteBuffer view;
    private long received;
    private long objectSize = -1;
    private Subscription subscription;
    private CompletableFuture<Long> result;

    /**
     * @param dst destination buffer (direct or heap)
     * @param start index in {@code dst} of the first byte
     * @param length bytes requested, at least 1
     * @param offset offset in the object of the first byte
     * @param progress touched on every chunk, for stall detection
     * @param checksum whether to compute the CRC-32C of the bytes received
     */
    RangeSink(ByteBuffer dst, int start, int length, long offset, Retrier.Progress progress, boolean checksum) {
        this.crc = checksum ? new CRC32C() : null;
        this.dst = dst;
        this.start = start;
        this.length = length;
        this.offset = offset;
        this.progress = progress;
    }

    @Override
    public CompletableFuture<Long> prepare() {
        synchronized (lock) {
            // a fresh view each time: if the transport itself re-runs the request, we start over
            ByteBuffer v = dst.duplicate();
            v.limit(start + length);
            v.position(start);
            view = v;
            received = 0;
            if (crc != null) {
                crc.reset();
            }
            objectSize = -1;
            subscription = null;
            result = new CompletableFuture<>();
            if (abandoned) {
                result.completeExceptionally(new IOException("attempt abandoned"));
            }
            return result;
        }
    }

    @Override
    public void onResponse(GetObjectResponse response) {
        int status = response.sdkHttpResponse().statusCode();
        String contentRange = response.contentRange();
        if (status == 206 && contentRange != null) {
            long[] range = parseContentRange(contentRange);
            if (range == null) {
                fail(new BadResponse("unparseable Content-Range '" + contentRange + "'"));
                return;
            }
            if (range[0] != offset) {
                fail(new BadResponse("server sent range starting at byte " + range[0] + " for a request at byte "
                        + offset));
                return;
            }
            synchronized (lock) {
                objectSize = range[2];
            }
        } else if (status == 200 && offset != 0) {
            fail(new BadResponse("server ignored the Range header (HTTP 200 for a read at byte " + offset
                    + "); it does not support ranged reads"));
        }
    }

    @Override
    public void onStream(SdkPublisher<ByteBuffer> publisher) {
        publisher.subscribe(new Subscriber<ByteBuffer>() {
            @Override
            public void onSubscribe(Subscription s) {
                synchronized (lock) {
                    if (abandoned || result.isDone()) {
                        s.cancel();
                        return;
                    }
                    subscription = s;
                }
                // every chunk is consumed synchronously in onNext, so unbounded demand buffers nothing
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(ByteBuffer chunk) {
                Subscription cancel = null;
                synchronized (lock) {
                    if (abandoned || result.isDone()) {
                        return;
                    }
                    int n = chunk.remaining();
                    if (n > view.remaining()) {
                        cancel = subscription;
                        result.completeExceptionally(new BadResponse("server sent more than the " + length
                                + " bytes requested"));
                    } else {
                        copy(chunk);
                        received += n;
                    }
                }
                if (cancel != null) {
                    cancel.cancel();
                }
                progress.touch();
            }

            @Override
            public void onError(Throwable t) {
                fail(t);
            }

            @Override
            public void onComplete() {
                long got;
                long size;
                synchronized (lock) {
                    got = received;
                    size = objectSize;
                }
                if (got == length) {
                    result.complete(got);
                } else if (size >= 0 && size < offset + length) {
                    result.completeExceptionally(new ObjectTooShort(size));
                } else {
                    result.completeExceptionally(new ShortBody(got, length));
                }
            }
        });
    }

    @Override
    public void exceptionOccurred(Throwable error) {
        fail(error);
    }

    /** Bytes copied and checksummed at a time: small enough to be still in cache for the checksum. */
    private static final int CRC_BLOCK = 64 * 1024;

    /** Copies the chunk into place (under the lock), checksumming it block by block if asked. */
    private void copy(ByteBuffer chunk) {
        if (crc == null) {
            view.put(chunk);
            return;
        }
        int limit = chunk.limit();
        while (chunk.position() < limit) {
            int from = chunk.position();
            chunk.limit(Math.min(limit, from + CRC_BLOCK));
            view.put(chunk);
            chunk.position(from);
            crc.update(chunk); // java.util.zip.CRC32C: the JDK's intrinsic
            chunk.limit(limit);
        }
    }

    /**
     * The CRC-32C of the range, once the transfer completed normally; {@link ReadReport#NO_CRC} if
     * the sink was not asked for it.
     */
    long crc32c() {
        synchronized (lock) {
            return crc == null ? ReadReport.NO_CRC : crc.getValue();
        }
    }

    /**
     * Stops this attempt: no byte is written after this returns. The caller cancels the SDK's
     * future, which stops the transfer; the body subscription is left to end with that (its error
     * then reaches {@code onError}, which ignores it). Cancelling the subscription here as well made
     * the SDK log a warning with a stack trace for every abandoned request, a hedge's loser included.
     */
    void abandon() {
        synchronized (lock) {
            abandoned = true;
            if (result != null) {
                result.completeExceptionally(new IOException("attempt abandoned"));
            }
        }
    }

    private void fail(Throwable t) {
        CompletableFuture<Long> r;
        synchronized (lock) {
            r = result;
        }
        if (r != null) {
            r.completeExceptionally(t);
        }
    }

    /** {@code bytes first-last/total} to {first, last, total}; total is -1 for {@code *}; null if malformed. */
    static long[] parseContentRange(String header) {
        String h = header.trim();
        if (!h.startsWith("bytes ")) {
            return null;
        }
        try {
            String spec = h.substring(6).trim();
            int dash = spec.indexOf('-');
            int slash = spec.indexOf('/');
            if (dash < 0 || slash < dash) {
                return null;
            }
            long first = Long.parseLong(spec.substring(0, dash).trim());
            long last = Long.parseLong(spec.substring(dash + 1, slash).trim());
            String total = spec.substring(slash + 1).trim();
            return new long[] {first, last, "*".equals(total) ? -1 : Long.parseLong(total)};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The body ended before the requested range was complete; retrying may succeed. */
    static final class ShortBody extends IOException {
        private static final long serialVersionUID = 1L;

        ShortBody(long received, long requested) {
            super("response body ended after " + received + " of " + requested + " bytes");
        }
    }

    /** The object ends before the end of the requested range; retrying cannot help. */
    static final class ObjectTooShort extends IOException {
        private static final long serialVersionUID = 1L;
        final long objectSize;

        ObjectTooShort(long objectSize) {
            super("object is only " + objectSize + " bytes long");
            this.objectSize = objectSize;
        }
    }

    /** The server answered with something other than the requested range; retrying cannot help. */
    static final class BadResponse extends IOException {
        private static final long serialVersionUID = 1L;

        BadResponse(String message) {
            super(message);
        }
    }
}
