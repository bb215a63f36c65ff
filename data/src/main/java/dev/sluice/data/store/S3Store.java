package dev.sluice.data.store;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3CrtAsyncClientBuilder;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * {@link ObjectStore} over S3 and S3-compatible servers, on aws-sdk-java-v2's CRT-based async
 * client (parallel ranged GETs and multipart uploads in native code).
 *
 * <ul>
 *   <li><b>Reads</b> go straight into the caller's buffer: each received chunk is copied once into
 *       place (see {@link RangeSink}); a read completes only when exactly the requested bytes
 *       arrived. Reads larger than {@link StoreOptions#partBytes()} are fetched by the client as
 *       parallel part GETs.
 *   <li><b>Hedged reads</b> follow {@link StoreOptions#hedge()}: a read still unanswered well
 *       past the recent latency distribution is sent a second time and the first complete answer
 *       wins (see {@link HedgedRead}); hedges are capped to a fraction of reads and counted in
 *       {@link StoreStats#hedges()}. A read is hedged as a whole, so this cuts the tail of reads
 *       of up to {@code partBytes} (what the loader issues), one HTTP request each.
 *   <li><b>Back-off per prefix</b>: a throttling answer (503 SlowDown, 429) slows down only the
 *       requests to that key's prefix (see {@link PrefixGates}); other prefixes keep their pace.
 *   <li><b>Concurrency</b>: at most {@link StoreOptions#maxConcurrency()} operations are in flight;
 *       further ones wait without blocking a thread.
 *   <li><b>Retries</b> follow {@link StoreOptions#retry()}: throttling (503 SlowDown, 429), 5xx,
 *       resets, bodies cut short (fewer bytes than announced, or a range shorter than asked) and
 *       reads or metadata requests that stall are retried with backoff; then a
 *       {@link TransferFailedException} names the bucket, key and byte range. Under each store
 *       attempt the CRT client retries a failed part once more by itself (it cannot be set lower),
 *       so one attempt is at most two HTTP requests per part; {@link StoreStats#retries()} counts
 *       both kinds (the client's through the SDK's metric publisher). Uploads are not watched for stalls by
 *       the store (the client reads the file natively); the client's connection health check
 *       closes connections that stall.
 *   <li><b>Credentials</b>: anonymous, the SDK's default chain, or a given provider. No message
 *       this store produces (exceptions, their causes, log lines) holds key material: foreign
 *       exceptions are replaced by redacted copies (see {@link Redactor}).
 * </ul>
 *
 * <p>Keys are relative to the location's prefix: in {@code s3://bucket/data/set}, key
 * {@code shard-0} is the S3 object {@code data/set/shard-0}.
 */
public final class S3Store implements ObjectStore {

    private static final Set<Integer> RETRYABLE_STATUS = Set.of(408, 429, 500, 502, 503, 504);
    private static final Set<String> RETRYABLE_CODES = Set.of("SlowDown", "InternalError", "ServiceUnavailable",
            "RequestTimeout", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests");

    private static final Set<String> THROTTLING_CODES = Set.of("SlowDown", "Throttling", "ThrottlingException",
            "RequestLimitExceeded", "TooManyRequests");

    private final S3Location location;
    private final S3AsyncClient client;
    private final Redactor redactor;
    private final Retrier retrier;
    private final ScheduledThreadPoolExecutor timer;
    private final AsyncPermits permits;
    private final Retrier.Counters counters = new Retrier.Counters();
    private final Hedger hedger;
    private final PrefixGates prefixes;
    private final AtomicLong shortReads = new AtomicLong();
    private final AtomicLong bytesRead = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();
    private final ClientRetries clientRetries;

    private S3Store(S3Location location, S3AsyncClient client, Redactor redactor, StoreOptions options,
            ClientRetries clientRetries) {
        this.location = location;
        this.clientRetries = clientRetries;
        this.client = client;
        this.redactor = redactor;
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "sluice-s3-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        this.permits = new AsyncPermits(options.maxConcurrency());
        this.retrier = new Retrier(options.retry(), permits, timer, counters);
        this.hedger = new Hedger(options.hedge());
        this.prefixes = new PrefixGates(options.maxConcurrency(), options.retry(), timer);
    }

    /**
     * Opens {@code s3://bucket/prefix} with anonymous access or the SDK's default credential chain,
     * as {@code options} say.
     */
    public static S3Store open(String location, StoreOptions options) {
        Redactor redactor = new Redactor();
        AwsCredentialsProvider credentials = options.anonymous()
                ? AnonymousCredentialsProvider.create()
                : redactor.recording(DefaultCredentialsProvider.builder().build(), true);
        return open(S3Location.parse(location), options, credentials, redactor);
    }

    /**
     * Opens {@code s3://bucket/prefix} with the given credentials ({@code options.anonymous()} is
     * ignored). The provider is not closed by the store.
     */
    public static S3Store open(String location, StoreOptions options, AwsCredentialsProvider credentials) {
        Redactor redactor = new Redactor();
        AwsCredentialsProvider provider = credentials instanceof AnonymousCredentialsProvider
                ? credentials
                : redactor.recording(credentials, false);
        return open(S3Location.parse(location), options, provider, redactor);
    }

    private static S3Store open(S3Location location, StoreOptions options, AwsCredentialsProvider credentials,
            Redactor redactor) {
        RetryPolicy retry = options.retry();
        // the CRT's health check counts whole seconds and needs a window of two or more
        Duration health = retry.responseTimeout().compareTo(Duration.ofSeconds(2)) < 0
                ? Duration.ofSeconds(2) : retry.responseTimeout();
        ClientRetries clientRetries = new ClientRetries();
        S3CrtAsyncClientBuilder builder = S3AsyncClient.crtBuilder()
                .region(region(options))
                .credentialsProvider(credentials)
                .forcePathStyle(options.pathStyle())
                .minimumPartSizeInBytes(options.partBytes())
                .thresholdInBytes(options.multipartThresholdBytes())
                // room for hedges beyond the store's own limit, so a hedge does not queue in the
                // client behind the very requests it is meant to overtake
                .maxConcurrency(options.maxConcurrency() + hedgeRoom(options))
                // The CRT retries each part itself; 0 would mean its default of 5 (aws-c-io), so 1 is
                // the least. Our RetryPolicy is the outer layer: it sees what one part retry cannot fix
                // and what the CRT does not check (a range shorter than asked, a stalled body).
                .retryConfiguration(r -> r.numRetries(1))
                // ... and counted here, so the store's retry figure includes them
                .addMetricPublisher(clientRetries)
                .httpConfiguration(h -> h.connectionHealthConfiguration(c -> c
                        .minimumThroughputInBps(1L)
                        .minimumThroughputTimeout(health)));
        try {
            if (options.s3Endpoint() != null) {
                builder.endpointOverride(URI.create(options.s3Endpoint()));
            }
            return new S3Store(location, builder.build(), redactor, options, clientRetries);
        } catch (RuntimeException e) {
            if (credentials instanceof SdkAutoCloseable closeable) {
                closeable.close();
            }
            throw e;
        }
    }

    /** Connections kept free for hedged requests: none without hedging, else a quarter of the limit (at least 2). */
    static int hedgeRoom(StoreOptions options) {
        return options.hedge().enabled() ? Math.max(2, options.maxConcurrency() / 4) : 0;
    }

    private static Region region(StoreOptions options) {
        if (options.region() != null) {
            return Region.of(options.region());
        }
        if (options.s3Endpoint() != null) {
            // S3-compatible servers hardly care; do not probe instance metadata for them
            return Region.US_EAST_1;
        }
        try {
            return DefaultAwsRegionProviderChain.builder().build().getRegion();
        } catch (SdkClientException noRegionConfigured) {
            return Region.US_EAST_1;
        }
    }

    /** Bucket and prefix of the store root. */
    public S3Location s3Location() {
        return location;
    }

    /** Counts since the store was opened (see {@link StoreStats}). */
    @Override
    public StoreStats stats() {
        return new StoreStats(counters.attempts.get(), counters.retries.get() + clientRetries.retries(),
                counters.failures.get(), shortReads.get(),
                bytesRead.get(), bytesWritten.get(), hedger.hedges(), hedger.hedgeWins(),
                prefixes.throttles(), prefixes.waits());
    }

    /** Waits until the S3 client's own retries reach {@code n} or {@code timeout} passes (for tests). */
    long awaitClientRetries(long n, java.time.Duration timeout) throws InterruptedException {
        return clientRetries.await(n, timeout);
    }

    /** The back-off gate of {@code key}'s prefix (for tests). */
    PrefixGates.Gate prefixGate(String key) {
        return prefixes.gate(location.objectKey(key));
    }

    @Override
    public String location() {
        return location.toString();
    }

    // ---------------------------------------------------------------- reads

    @Override
    public void read(String key, long offset, ByteBuffer dst) throws IOException {
        await(readAsync(key, offset, dst));
    }

    @Override
    public CompletableFuture<Void> readAsync(String key, long offset, ByteBuffer dst) {
        CompletableFuture<ReadReport> reported = readReported(key, offset, dst);
        CompletableFuture<Void> result = reported.thenApply(r -> null);
        result.whenComplete((v, t) -> {
            if (result.isCancelled()) {
                reported.cancel(false);
            }
        });
        return result;
    }

    /** Like {@link #readAsync}; the report holds the attempts made and whether a hedge was sent. */
    @Override
    public CompletableFuture<ReadReport> readReported(String key, long offset, ByteBuffer dst) {
        return readReported(key, offset, dst, false);
    }

    /**
     * Like {@link #readAsync}; the report holds the attempts made, whether a hedge was sent and,
     * with {@code crc32c}, the CRC-32C of the range, computed while each body chunk is copied into
     * place (no second pass over {@code dst}).
     */
    @Override
    public CompletableFuture<ReadReport> readReported(String key, long offset, ByteBuffer dst, boolean crc32c) {
        try {
            checkKey(key);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (offset < 0) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("negative offset " + offset));
        }
        if (dst.isReadOnly()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("destination buffer is read-only"));
        }
        int length = dst.remaining();
        if (length == 0) {
            return CompletableFuture.completedFuture(ReadReport.ONE);
        }
        int start = dst.position();
        long end = offset + length;
        String objectKey = location.objectKey(key);
        String range = "bytes=" + offset + "-" + (end - 1);
        Failures failures = new Failures(key, "GET " + rangeText(offset, end), offset, end);
        AtomicInteger tries = new AtomicInteger();
        AtomicBoolean hedged = new AtomicBoolean();
        StoreReadEvent event = new StoreReadEvent();
        event.begin();
        CompletableFuture<Long> transfer = retrier.run(location() + "/" + key + " GET " + rangeText(offset, end), true,
                prefixes.gate(objectKey), progress -> HedgedRead.start(dst, start, length, offset, progress, () -> {
                    tries.incrementAndGet();
                }, () -> hedged.set(true), sink -> {
                    CompletableFuture<Long> sdk = client.getObject(
                            b -> b.bucket(location.bucket()).key(objectKey).range(range), sink);
                    sdk.whenComplete((n, failure) -> {
                        if (failure != null && find(failure, RangeSink.ShortBody.class) != null) {
                            shortReads.incrementAndGet();
                        }
                    });
                    return sdk;
                }, hedger, timer, crc32c), failures);
        // The only place the caller's position moves: once, after the attempt that the retrier
        // accepted (a late success of an abandoned attempt cannot move it).
        CompletableFuture<ReadReport> result = transfer.thenApply(crc -> {
            dst.position(start + length);
            bytesRead.addAndGet(length);
            ReadReport report = new ReadReport(tries.get(), hedged.get(), crc);
            event.commit(location.toString(), key, offset, length, report);
            return report;
        });
        result.whenComplete((v, t) -> {
            if (result.isCancelled()) {
                transfer.cancel(false); // abandons the attempt in flight
            }
        });
        return result;
    }

    @Override
    public long size(String key) throws IOException {
        checkKey(key);
        String objectKey = location.objectKey(key);
        try {
            return await(retrier.run(location() + "/" + key + " HEAD", true,
                    progress -> attempt(client.headObject(b -> b.bucket(location.bucket()).key(objectKey))
                            .thenApply(h -> h.contentLength())),
                    new Failures(key, "HEAD", -1, -1)));
        } catch (ObjectNotFoundException e) {
            // a 404 to a HEAD has no body, so it cannot say NoSuchBucket: ask about the bucket
            // (only on this failure path) so that a wrong bucket is not reported as a missing object
            BucketNotFoundException noBucket = bucketMissing(key, e);
            if (noBucket != null) {
                throw noBucket;
            }
            throw e;
        }
    }

    /**
     * The error for a bucket that does not exist, if a HEAD of the bucket says so; null if the
     * bucket exists or the answer is anything else (the caller's own error then stands).
     */
    private BucketNotFoundException bucketMissing(String key, ObjectNotFoundException notFound) {
        try {
            await(retrier.run(location() + " HEAD bucket", true,
                    progress -> attempt(client.headBucket(b -> b.bucket(location.bucket()))),
                    new Failures(null, "HEAD bucket", -1, -1)));
            return null;
        } catch (BucketNotFoundException | ObjectNotFoundException e) {
            // the bucket's own 404 (the SDK may or may not name it NoSuchBucket)
            return noSuchBucket(key, "HTTP 404 for a HEAD of the bucket", notFound);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The one wording for a missing bucket, whichever request found it. */
    private BucketNotFoundException noSuchBucket(String key, String summary, Throwable cause) {
        return new BucketNotFoundException(location(), key, location.bucket(), "bucket '" + location.bucket()
                + "' does not exist (" + summary + "); check the location and the endpoint", cause);
    }

    @Override
    public boolean exists(String key) throws IOException {
        try {
            size(key);
            return true;
        } catch (ObjectNotFoundException e) {
            return false;
        }
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        List<ObjectInfo> out = new ArrayList<>();
        Iterator<ObjectInfo> it = iterate(prefix);
        try {
            it.forEachRemaining(out::add);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        // S3 lists in UTF-8 byte order already; sorting in the same order as every store (String's own
        // order, UTF-16, puts keys with characters beyond U+FFFF before those with U+E000-U+FFFF)
        out.sort(Comparator.comparing(ObjectInfo::key, KeyOrder::compare));
        return out;
    }

    /**
     * One page of keys after {@code page.token} at a time, in the order the server lists them: UTF-8
     * bytes for S3 (as {@link KeyOrder}); some S3-compatible servers (S3Mock) use String's order.
     */
    @Override
    public Iterator<ObjectInfo> iterate(String prefix) throws IOException {
        String objectPrefix = objectPrefix(prefix);
        return new Iterator<>() {
            private final Pages pages = new Pages(prefix, objectPrefix, null);
            private Iterator<S3Object> page = Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!page.hasNext() && pages.more()) {
                    try {
                        page = pages.next().contents().iterator();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                return page.hasNext();
            }

            @Override
            public ObjectInfo next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                S3Object o = page.next();
                return new ObjectInfo(location.storeKey(o.key()), o.size());
            }
        };
    }

    /** ListObjectsV2 with delimiter {@code /}: the common prefixes below {@code prefix}, all pages. */
    @Override
    public List<String> directories(String prefix) throws IOException {
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            throw new StoreException(location(), prefix, "directories() takes an empty prefix or one ending with '/'");
        }
        String objectPrefix = objectPrefix(prefix);
        List<String> out = new ArrayList<>();
        Pages pages = new Pages(prefix, objectPrefix, "/");
        while (pages.more()) {
            for (CommonPrefix cp : pages.next().commonPrefixes()) {
                String name = cp.prefix().substring(objectPrefix.length(), cp.prefix().length() - 1);
                if (!name.isEmpty() && !name.startsWith(".")) {
                    out.add(name);
                }
            }
        }
        out.sort(KeyOrder::compare);
        return out;
    }

    private String objectPrefix(String prefix) throws StoreException {
        if (prefix == null || prefix.startsWith("/")) {
            throw new StoreException(location(), prefix, "list prefix must not be null or start with '/'");
        }
        return location.objectKey(prefix);
    }

    /** The pages of one ListObjectsV2 listing, fetched one at a time (with retries) as they are asked for. */
    private final class Pages {
        private final String prefix;
        private final String objectPrefix;
        private final String delimiter;
        private String token;
        private int page;
        private boolean done;

        Pages(String prefix, String objectPrefix, String delimiter) {
            this.prefix = prefix;
            this.objectPrefix = objectPrefix;
            this.delimiter = delimiter;
        }

        boolean more() {
            return !done;
        }

        ListObjectsV2Response next() throws IOException {
            String continuation = token;
            page++;
            ListObjectsV2Response resp = await(retrier.run(location() + " LIST '" + prefix + "' page " + page, true,
                    progress -> attempt(client.listObjectsV2(b -> b.bucket(location.bucket()).prefix(objectPrefix)
                            .delimiter(delimiter).continuationToken(continuation))),
                    new Failures(prefix, "LIST page " + page, -1, -1)));
            String following = Boolean.TRUE.equals(resp.isTruncated()) ? resp.nextContinuationToken() : null;
            if (Boolean.TRUE.equals(resp.isTruncated()) && (following == null || following.equals(continuation))) {
                throw new StoreException(location(), prefix, "server said the listing is truncated but sent no new"
                        + " continuation token; it does not implement ListObjectsV2 paging");
            }
            token = following;
            done = following == null;
            return resp;
        }
    }

    // ---------------------------------------------------------------- writes

    /**
     * Uploads {@code source} as {@code key} (a multipart upload above the multipart threshold, done
     * by the client; S3 shows the object only once it is complete) and then deletes the local file.
     * If the upload fails for good the file is left in place, so the caller can retry.
     */
    @Override
    public void publish(String key, Path source) throws IOException {
        checkKey(key);
        long size = Files.size(source);
        String objectKey = location.objectKey(key);
        await(retrier.run(location() + "/" + key + " PUT " + size + " bytes from file", false,
                progress -> attempt(client.putObject(b -> b.bucket(location.bucket()).key(objectKey)
                        .contentLength(size), AsyncRequestBody.fromFile(source))),
                new Failures(key, "PUT of " + size + " bytes from " + source, -1, -1)));
        bytesWritten.addAndGet(size);
        Files.delete(source);
    }

    @Override
    public void put(String key, byte[] bytes) throws IOException {
        checkKey(key);
        String objectKey = location.objectKey(key);
        // put() returns only after the upload, so the caller cannot change the array under it
        await(retrier.run(location() + "/" + key + " PUT " + bytes.length + " bytes", false,
                progress -> attempt(client.putObject(b -> b.bucket(location.bucket()).key(objectKey)
                        .contentLength((long) bytes.length), AsyncRequestBody.fromBytesUnsafe(bytes))),
                new Failures(key, "PUT of " + bytes.length + " bytes", -1, -1)));
        bytesWritten.addAndGet(bytes.length);
    }

    @Override
    public void delete(String key) throws IOException {
        checkKey(key);
        String objectKey = location.objectKey(key);
        await(retrier.run(location() + "/" + key + " DELETE", true,
                progress -> attempt(client.deleteObject(b -> b.bucket(location.bucket()).key(objectKey))),
                new Failures(key, "DELETE", -1, -1)));
    }

    /**
     * Closes the client. Operations still pending fail with a {@link TransferFailedException} that
     * says the store was closed; none is left waiting.
     */
    @Override
    public void close() {
        retrier.close();
        timer.shutdownNow();
        client.close();
    }

    @Override
    public String toString() {
        return "S3Store[" + location + "]";
    }

    // ---------------------------------------------------------------- helpers

    private void checkKey(String key) throws StoreException {
        if (key == null || key.isEmpty() || key.startsWith("/")) {
            throw new StoreException(location(), key, "keys must be non-empty and must not start with '/'");
        }
    }

    private static String rangeText(long start, long end) {
        return "bytes [" + start + ", " + end + ")";
    }

    private static <T> Retrier.Attempt<T> attempt(CompletableFuture<T> sdk) {
        return new Retrier.Attempt<T>() {
            @Override
            public CompletableFuture<T> future() {
                return sdk;
            }

            @Override
            public void abandon() {
                sdk.cancel(false);
            }
        };
    }

    private static <T> T await(CompletableFuture<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            f.cancel(false);
            Thread.currentThread().interrupt();
            InterruptedIOException io = new InterruptedIOException("interrupted while waiting for S3");
            io.initCause(e);
            throw io;
        } catch (ExecutionException e) {
            Throwable c = Retrier.unwrap(e);
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IOException(c);
        }
    }

    /** Classifies failures of one operation and turns the last one into a typed, redacted exception. */
    private final class Failures implements Retrier.Failures {
        private final String key;
        private final String what;
        private final long rangeStart;
        private final long rangeEnd;

        Failures(String key, String what, long rangeStart, long rangeEnd) {
            this.key = key;
            this.what = what;
            this.rangeStart = rangeStart;
            this.rangeEnd = rangeEnd;
        }

        @Override
        public boolean retryable(Throwable failure) {
            for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
                if (t instanceof RangeSink.ShortBody || t instanceof Retrier.Stalled) {
                    return true;
                }
                if (t instanceof RangeSink.ObjectTooShort || t instanceof RangeSink.BadResponse) {
                    return false;
                }
                if (t instanceof SdkServiceException se) {
                    String code = t instanceof S3Exception s3 && s3.awsErrorDetails() != null
                            ? s3.awsErrorDetails().errorCode() : null;
                    return RETRYABLE_STATUS.contains(se.statusCode()) || (code != null && RETRYABLE_CODES.contains(code));
                }
            }
            if (failure instanceof SdkClientException) {
                // transport trouble (reset, refused, cut short) is worth repeating; missing or
                // rejected credentials are not
                String m = String.valueOf(failure.getMessage()).toLowerCase(Locale.ROOT);
                return !m.contains("credential");
            }
            return failure instanceof IOException;
        }

        @Override
        public boolean throttled(Throwable failure) {
            int status = statusOf(failure);
            String code = errorCodeOf(failure);
            if (status == 429 || status == 503 || (code != null && THROTTLING_CODES.contains(code))) {
                return true;
            }
            // the CRT reports a throttling answer as a client error (AWS_ERROR_S3_SLOW_DOWN) with
            // no status; its message is the only trace
            for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
                if (String.valueOf(t.getMessage()).contains("indicates throttling")) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public boolean silent(Throwable failure) {
            if (find(failure, Retrier.Stalled.class) != null) {
                return true;
            }
            // the CRT's connection health check (RetryPolicy.responseTimeout) closed a connection
            // on which no byte moved; its only trace is this message
            for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
                if (String.valueOf(t.getMessage()).contains("throughput minimum")) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public Throwable giveUp(int attempts, Throwable last, boolean exhausted) {
            return giveUp(attempts, last, exhausted, silent(last) ? null : last);
        }

        @Override
        public Throwable giveUp(int attempts, Throwable last, boolean exhausted, Throwable lastAnswered) {
            counters.failures.incrementAndGet();
            Throwable cause = redactor.sanitize(last);
            String store = location();
            String objectKey = location.objectKey(key == null ? "" : key);
            String summary = describe(last);
            int status = statusOf(last);
            if (status == 404 && !"NoSuchBucket".equals(errorCodeOf(last)) && !what.startsWith("LIST")) {
                ObjectNotFoundException e = new ObjectNotFoundException(store, key);
                e.initCause(cause);
                return e;
            }
            if (status == 404) {
                return noSuchBucket(key, summary, cause);
            }
            if (status == 403 || status == 401) {
                return new TransferFailedException(store, key, location.bucket(), objectKey, rangeStart, rangeEnd,
                        attempts, what + " was refused (" + summary + "); check the credentials"
                                + " (default chain: environment, profile, instance role) and the bucket policy, or"
                                + " use anonymous access for a public bucket", cause);
            }
            if (last instanceof Retrier.Closed) {
                return new TransferFailedException(store, key, location.bucket(), objectKey, rangeStart, rangeEnd,
                        attempts, what + " did not finish: " + last.getMessage(), null);
            }
            RangeSink.ObjectTooShort tooShort = find(last, RangeSink.ObjectTooShort.class);
            if (tooShort != null) {
                return new TransferFailedException(store, key, location.bucket(), objectKey, rangeStart, rangeEnd,
                        attempts, String.format("object ends at byte %d but %s were requested; the object is"
                                + " truncated or the index that gave this range is stale: re-run ingest or restore it",
                                tooShort.objectSize, rangeText(rangeStart, rangeEnd)), cause);
            }
            if (status == 416) {
                return new TransferFailedException(store, key, location.bucket(), objectKey, rangeStart, rangeEnd,
                        attempts, rangeText(rangeStart, rangeEnd) + " start past the end of the object (" + summary
                                + "); the object is truncated or the index that gave this range is stale", cause);
            }
            if (exhausted && silent(last) && lastAnswered == null) {
                return new TransferFailedException(store, key, location.bucket(), objectKey, rangeStart, rangeEnd,
                        attempts, what + " failed after " + attempts + " attempts: the server accepted the connection"
                                + " but sent nothing for " + retrier.policy().responseTimeout().toSeconds()
                                + " s or made no progress for " + retrier.policy().stallTimeout().toSeconds()
                                + " s (last: " + summary + "); check that the endpoint is an S3 server and reachable,"
                                + " or allow a slow server more time (RetryPolicy.responseTimeout and stallTimeout)",
                        cause);
            }
            String message = exhausted
                    ? what + " failed after " + attempts + " attempts (last: " + summary
                            + (lastAnswered != null && lastAnswered != last
                                    ? "; before it: " + describe(lastAnswered) : "")
                            + "); the server kept failing or throttling: check the endpoint and network, or allow"
                            + " more attempts (RetryPolicy.maxAttempts)"
                    : what + " failed (" + summary + ") with an error that retrying cannot fix";
            return new TransferFailedException(store, key, location.bucket(), objectKey, rangeStart, rangeEnd,
                    attempts, message, cause);
        }

        @Override
        public String describe(Throwable failure) {
            if (failure instanceof SdkServiceException se) {
                String code = errorCodeOf(failure);
                String msg = failure instanceof S3Exception s3 && s3.awsErrorDetails() != null
                        ? s3.awsErrorDetails().errorMessage() : null;
                return redactor.redact("HTTP " + se.statusCode() + (code == null ? "" : " " + code)
                        + (msg == null || msg.isEmpty() ? "" : ": " + msg));
            }
            String name = failure.getClass().getSimpleName();
            return redactor.redact(name + ": " + failure.getMessage());
        }

        private int statusOf(Throwable t) {
            SdkServiceException se = find(t, SdkServiceException.class);
            return se == null ? -1 : se.statusCode();
        }

        private String errorCodeOf(Throwable t) {
            S3Exception s3 = find(t, S3Exception.class);
            return s3 == null || s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorCode();
        }
    }

    private static <E extends Throwable> E find(Throwable t, Class<E> type) {
        for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
