package dev.sluice.data.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.async.SdkPublisher;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * Receives one ranged GET straight into a region of the caller's buffer: each body chunk the client
 * delivers is copied once into {@code dst[start, start + length)}; there is no whole-object array.
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
     */
    RangeSink(ByteBuffer dst, int start, int length, long offset, Retrier.Progress progress) {
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
                        view.put(chunk);
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

    /** Stops this attempt: no byte is written after this returns. */
    void abandon() {
        Subscription s;
        synchronized (lock) {
            abandoned = true;
            s = subscription;
            if (result != null) {
                result.completeExceptionally(new IOException("attempt abandoned"));
            }
        }
        if (s != null) {
            s.cancel();
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
