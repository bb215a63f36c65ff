package dev.sluice.data.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

class RedactorTest {

    @Test
    void removesKeyMaterialByPattern() {
        Redactor r = new Redactor();
        String in = "id AKIAIOSFODNN7EXAMPLE and ASIAXXXXXXXXXXXXXXXX; Authorization: AWS4-HMAC-SHA256 "
                + "Credential=AKIDEXAMPLE/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, "
                + "Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024 "
                + "url?X-Amz-Security-Token=FQoGZXIvYXdzE&X-Amz-Signature=abc "
                + "<AWSAccessKeyId>ANYTHING</AWSAccessKeyId><StringToSign>AWS4\nline</StringToSign> "
                + "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        String out = r.redact(in);
        for (String secret : new String[] {"AKIAIOSFODNN7EXAMPLE", "ASIAXXXXXXXXXXXXXXXX", "AKIDEXAMPLE",
            "fe5f80f77d5fa3be", "FQoGZXIvYXdzE", "ANYTHING", "AWS4\nline", "wJalrXUtnFEMI"}) {
            assertFalse(out.contains(secret), secret + " left in: " + out);
        }
        assertTrue(out.contains("SignedHeaders=host"), "harmless text stays: " + out);
        assertEquals("plain message", r.redact("plain message"));
    }

    @Test
    void removesTheExactCredentialsItsProviderHandedOut() {
        Redactor r = new Redactor();
        AwsCredentialsProvider p = r.recording(
                StaticCredentialsProvider.create(AwsBasicCredentials.create("myKeyId-not-AKIA-shaped", "s3cr3t-value-1")),
                false);
        p.resolveCredentials();
        String out = r.redact("echo myKeyId-not-AKIA-shaped / s3cr3t-value-1");
        assertEquals("echo [REDACTED] / [REDACTED]", out);
        assertFalse(p.toString().contains("myKeyId"), p.toString());
        assertFalse(r.toString().contains("s3cr3t"), r.toString());
    }

    @Test
    void sanitizedCopiesKeepClassNamesAndStacksButNoSecrets() {
        Redactor r = new Redactor();
        IOException root = new IOException("token X-Amz-Security-Token=SECRETTOKEN123");
        RuntimeException top = new RuntimeException("key AKIAIOSFODNN7EXAMPLE", root);
        top.addSuppressed(new IllegalStateException("Credential=AKIDEXAMPLE/x"));
        Throwable s = r.sanitize(top);
        StringWriter w = new StringWriter();
        s.printStackTrace(new PrintWriter(w));
        String text = w.toString();
        assertFalse(text.contains("AKIAIOSFODNN7EXAMPLE") || text.contains("SECRETTOKEN123")
                || text.contains("AKIDEXAMPLE"), text);
        assertTrue(s.getMessage().startsWith("java.lang.RuntimeException: "), s.getMessage());
        assertTrue(s.getCause().getMessage().startsWith("java.io.IOException: "), s.getCause().getMessage());
        assertEquals(top.getStackTrace()[0], s.getStackTrace()[0]);
        assertEquals(1, s.getSuppressed().length);
    }
}
