package dev.sluice.data.store;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.identity.spi.AwsSessionCredentialsIdentity;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * Keeps credentials out of everything a store reports. Errors from the SDK or a server can carry
 * an access key id (S3 echoes it in signature errors), a session token or signing material; every
 * message a store puts in an exception or a log line passes through {@link #redact}, and foreign
 * exceptions are replaced by {@link #sanitize sanitized copies} before they become causes.
 *
 * <p>Two layers: patterns for anything that looks like AWS key material, and the exact strings of
 * every credential the store's provider handed out (recorded by {@link #recording}).
 */
final class Redactor {

    static final String MASK = "[REDACTED]";

    private static final Pattern[] PATTERNS = {
        // access key ids: AKIA (long-term), ASIA (session) and the other IAM unique-id prefixes
        Pattern.compile("(?<![A-Za-z0-9])(?:AKIA|ASIA|AIDA|AROA|AIPA|ANPA|ANVA|AGPA)[A-Z0-9]{12,}"),
        // SigV4 Authorization header parts and presigned-URL parameters
        Pattern.compile("(?i)(Credential=)[^,\\s&]*"),
        Pattern.compile("(?i)(Signature=)[^,\\s&]*"),
        Pattern.compile("(?i)(x-amz-(?:security-token|credential|signature)\\s*[=:]\\s*)[^&\\s,;]+"),
        // S3 error bodies of SignatureDoesNotMatch and friends
        Pattern.compile("(?s)(<(AWSAccessKeyId|StringToSign|StringToSignBytes|CanonicalRequest|CanonicalRequestBytes"
                + "|SignatureProvided)>).*?(</\\2>)"),
        // key=value or "key": "value" forms of the usual setting names
        Pattern.compile("(?i)((?:aws_)?(?:secret_?access_?key|access_?key_?id|session_?token|secretKey)\"?\\s*[=:]\\s*\"?)"
                + "[^\\s\",;&]+"),
    };

    private final Set<String> secrets = ConcurrentHashMap.newKeySet();

    /** Removes anything that may be a credential from {@code text} (null stays null). */
    String redact(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String out = text;
        for (String secret : secrets) {
            out = out.replace(secret, MASK);
        }
        for (Pattern p : PATTERNS) {
            Matcher m = p.matcher(out);
            if (!m.find()) {
                continue;
            }
            StringBuilder sb = new StringBuilder();
            do {
                String replacement;
                if (m.groupCount() >= 3 && m.group(3) != null) {
                    replacement = m.group(1) + MASK + m.group(3);
                } else if (m.groupCount() >= 1 && m.group(1) != null) {
                    replacement = m.group(1) + MASK;
                } else {
                    replacement = MASK;
                }
                m.appendReplacement(sb, Matcher.quoteReplacement(replacement));
            } while (m.find());
            m.appendTail(sb);
            out = sb.toString();
        }
        return out;
    }

    /**
     * A copy of {@code t} and its causes with redacted messages, the original class names and stack
     * traces; safe to attach as a cause, log or print. Null stays null.
     */
    Throwable sanitize(Throwable t) {
        return sanitize(t, 0);
    }

    private Throwable sanitize(Throwable t, int depth) {
        if (t == null) {
            return null;
        }
        if (t instanceof Sanitized) {
            return t;
        }
        Sanitized copy = new Sanitized(t.getClass().getName() + ": " + redact(String.valueOf(t.getMessage())));
        copy.setStackTrace(t.getStackTrace());
        if (depth < 8 && t.getCause() != null && t.getCause() != t) {
            copy.initCause(sanitize(t.getCause(), depth + 1));
        }
        if (depth < 8) {
            for (Throwable s : t.getSuppressed()) {
                copy.addSuppressed(sanitize(s, depth + 1));
            }
        }
        return copy;
    }

    /** Remembers the exact strings of a credential so that {@link #redact} removes them verbatim. */
    void remember(AwsCredentials credentials) {
        addSecret(credentials.accessKeyId());
        addSecret(credentials.secretAccessKey());
        if (credentials instanceof AwsSessionCredentialsIdentity session) {
            addSecret(session.sessionToken());
        }
    }

    private void addSecret(String s) {
        // very short strings would mask ordinary words; real key material is far longer
        if (s != null && s.length() >= 8) {
            secrets.add(s);
        }
    }

    /**
     * Wraps a provider so that every credential it hands out is remembered. Must not be used on
     * {@code AnonymousCredentialsProvider}: the CRT client recognizes that one by its type.
     *
     * @param closeDelegate whether closing the wrapper closes {@code delegate} (only if we created it)
     */
    AwsCredentialsProvider recording(AwsCredentialsProvider delegate, boolean closeDelegate) {
        return new Recording(delegate, closeDelegate);
    }

    @Override
    public String toString() {
        return "Redactor[" + secrets.size() + " secrets]";
    }

    /** A foreign exception after redaction; its message starts with the original class name. */
    static final class Sanitized extends Exception {
        private static final long serialVersionUID = 1L;

        Sanitized(String message) {
            super(message);
        }
    }

    private final class Recording implements AwsCredentialsProvider, SdkAutoCloseable {
        private final AwsCredentialsProvider delegate;
        private final boolean closeDelegate;

        Recording(AwsCredentialsProvider delegate, boolean closeDelegate) {
            this.delegate = delegate;
            this.closeDelegate = closeDelegate;
        }

        @Override
        public AwsCredentials resolveCredentials() {
            AwsCredentials c = delegate.resolveCredentials();
            remember(c);
            return c;
        }

        @Override
        public void close() {
            if (closeDelegate && delegate instanceof SdkAutoCloseable closeable) {
                closeable.close();
            }
        }

        @Override
        public String toString() {
            // never the delegate's toString: some print the access key id
            return "RecordingCredentialsProvider";
        }
    }
}
