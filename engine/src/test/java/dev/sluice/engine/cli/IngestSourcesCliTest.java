package dev.sluice.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ingest --from imagefolder:|jsonl:|tokens:} through the CLI: output, exit codes, errors. */
class IngestSourcesCliTest {

    @TempDir
    Path tmp;

    static byte[] jpeg(int seed) throws Exception {
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        img.setRGB(seed % 8, 0, 0xffffff);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "jpeg", out);
        return out.toByteArray();
    }

    @Test
    void imageFolderIngestsReportsSkippedFilesAndInspects() throws Exception {
        Path src = tmp.resolve("imgs");
        for (String c : new String[] {"cat", "dog"}) {
            Path d = Files.createDirectories(src.resolve(c));
            for (int i = 0; i < 5; i++) {
                Files.write(d.resolve(i + ".jpg"), jpeg(i));
            }
        }
        Files.writeString(src.resolve("dog").resolve("notes.txt"), "not an image");
        Path ds = tmp.resolve("ds");
        CliRunner.Result r = CliRunner.run("ingest", "--from", "imagefolder:" + src, "--to", ds.toString());
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("10 samples") && r.out().contains("Skipped 1 unreadable")
                && r.out().contains("notes.txt"), r.out());
        String manifest = Files.readString(ds.resolve("manifest.json"));
        assertTrue(manifest.contains("\"jpeg\"") && manifest.contains("\"cat\"") && manifest.contains("imagefolder:"),
                manifest);

        r = CliRunner.run("ingest", "--from", "imagefolder:" + src, "--to", tmp.resolve("strict").toString(), "--strict");
        assertEquals(1, r.code(), r.all());
        assertTrue(r.err().contains("notes.txt") && r.err().contains("--strict"), r.err());
        assertFalse(Files.exists(tmp.resolve("strict").resolve("manifest.json")));
    }

    @Test
    void badJsonLinesAndTokenFilesExitNonZeroNamingWhere() throws Exception {
        Path jl = Files.writeString(tmp.resolve("a.jsonl"), "{\"t\":\"x\"}\n42\n");
        CliRunner.Result r = CliRunner.run("ingest", "--from", "jsonl:" + jl, "--fields", "t:string",
                "--to", tmp.resolve("j").toString());
        assertEquals(1, r.code(), r.all());
        assertTrue(r.err().contains(jl + ":2") && r.err().contains("JSON object"), r.err());
        assertFalse(Files.exists(tmp.resolve("j").resolve("manifest.json")));

        Path tok = Files.write(tmp.resolve("t.bin"), new byte[101]);
        r = CliRunner.run("ingest", "--from", "tokens:" + tok, "--dtype", "uint16", "--seq-len", "4",
                "--to", tmp.resolve("t").toString());
        assertEquals(1, r.code(), r.all());
        assertTrue(r.err().contains(tok.toString()) && r.err().contains("101 bytes"), r.err());

        Path ok = Files.write(tmp.resolve("ok.bin"), new byte[100]);
        r = CliRunner.run("ingest", "--from", "tokens:" + ok, "--dtype", "uint16", "--seq-len", "4",
                "--to", tmp.resolve("ok").toString());
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("12 samples"), r.out()); // (50 tokens - 1) / 4
    }
}
