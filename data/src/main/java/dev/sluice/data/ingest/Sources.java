package dev.sluice.data.ingest;

import dev.sluice.data.format.DType;
import dev.sluice.data.store.FileStore;
import dev.sluice.data.store.ObjectStore;
import dev.sluice.data.store.StoreOptions;
import dev.sluice.data.store.Stores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Opens the {@link Importer} a {@code KIND:WHERE} source names: {@code idx:IMAGES,LABELS},
 * {@code imagefolder:DIR} or {@code imagefolder:s3://bucket/prefix}, {@code wds:PATTERN} (a path or
 * {@code s3://} pattern with brace ranges), {@code jsonl:FILE} and {@code tokens:FILE}.
 */
public final class Sources {

    /** The source kinds this class opens. */
    public static final List<String> KINDS = List.of("idx", "imagefolder", "wds", "jsonl", "tokens");

    /**
     * Options some kinds need.
     *
     * @param split split name (imagefolder without train/val subfolders, wds, jsonl, tokens)
     * @param fields jsonl: {@code NAME:TYPE,...}
     * @param dtype tokens: uint16 or uint32
     * @param seqLen tokens: sequence length N
     * @param store options for {@code s3://} sources
     * @param classes idx: class names in label order, or null for the label values
     * @param compress idx: fields to store zstd-compressed
     */
    public record Options(String split, String fields, String dtype, int seqLen, StoreOptions store,
                          List<String> classes, Set<String> compress) {

        /** Options without the idx-only ones. */
        public Options(String split, String fields, String dtype, int seqLen, StoreOptions store) {
            this(split, fields, dtype, seqLen, store, null, Set.of());
        }
    }

    private Sources() {}

    /**
     * @throws IngestUsageException for an unknown kind, a missing or wrong option or a missing source,
     *     saying what to pass (nothing is read or written then)
     * @throws InputException for a source that exists but cannot be read as its kind
     */
    public static Importer open(String from, Options o) throws IOException {
        int colon = from.indexOf(':');
        String kind = colon < 0 ? "" : from.substring(0, colon);
        String where = colon < 0 ? "" : from.substring(colon + 1);
        if (where.isEmpty() || !KINDS.contains(kind)) {
            throw new IngestUsageException("unsupported source '" + from + "': use imagefolder:DIR|s3://bucket/prefix, wds:PATTERN, jsonl:FILE,"
                    + " tokens:FILE or idx:IMAGES,LABELS");
        }
        return switch (kind) {
            case "idx" -> idx(where, o);
            case "imagefolder" -> Stores.isS3(where) ? s3ImageFolder(where, o) : new ImageFolderImporter(Path.of(where), o.split());
            case "wds" -> wds(where, o);
            case "jsonl" -> {
                if (o.fields() == null) {
                    throw new IngestUsageException("--fields is required for jsonl: sources: the fields to take and their"
                            + " types, NAME:TYPE,... e.g. --fields text:string,label:int64");
                }
                yield new JsonLinesImporter(Path.of(where), o.split(), o.fields());
            }
            default -> {
                if (o.dtype() == null) {
                    throw new IngestUsageException("--dtype is required for tokens: sources (uint16 or uint32,"
                            + " the token file's element type)");
                }
                DType dt = DType.fromJsonName(o.dtype());
                if (dt != DType.UINT16 && dt != DType.UINT32) {
                    throw new IngestUsageException("--dtype " + o.dtype() + ": tokens: sources take uint16 or uint32");
                }
                if (o.seqLen() <= 0) {
                    throw new IngestUsageException("--seq-len is required for tokens: sources: N, the model's context"
                            + " length (a positive number)");
                }
                yield new TokenImporter(Path.of(where), o.split(), dt, o.seqLen());
            }
        };
    }

    private static Importer s3ImageFolder(String where, Options o) throws IOException {
        ObjectStore store = Stores.open(where, o.store());
        try {
            return new ImageFolderImporter(store, where, o.split()).owningStore();
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
    }

    private static Importer idx(String where, Options o) throws InputException {
        Path[] pair = idxPair(where);
        Path images = pair[0];
        Path labels = pair[1];
        return new IdxImporter(Map.of(o.split(), new IdxImporter.Files(images, labels)), o.classes(), o.compress(),
                Map.of());
    }

    /**
     * The two files of {@code idx:IMAGES,LABELS}. A path may itself contain commas: of the ways to cut
     * the text at one comma, the one where both sides are existing files is taken.
     */
    private static Path[] idxPair(String where) throws InputException {
        List<Path[]> cuts = new ArrayList<>();
        for (int c = where.indexOf(','); c >= 0; c = where.indexOf(',', c + 1)) {
            String a = where.substring(0, c).trim();
            String b = where.substring(c + 1).trim();
            if (!a.isEmpty() && !b.isEmpty()) {
                cuts.add(new Path[] {Path.of(a), Path.of(b)});
            }
        }
        if (cuts.isEmpty()) {
            throw new IngestUsageException("idx: needs two files, idx:IMAGES,LABELS (got 'idx:" + where + "')");
        }
        List<Path[]> existing = cuts.stream()
                .filter(p -> Files.isRegularFile(p[0]) && Files.isRegularFile(p[1])).toList();
        if (existing.size() == 1) {
            return existing.get(0);
        }
        if (existing.size() > 1) {
            throw new IngestUsageException("idx:" + where + " can be read as more than one pair of existing files"
                    + " (the paths contain commas); rename or link the files to paths without commas");
        }
        if (cuts.size() == 1) {
            for (Path p : cuts.get(0)) {
                if (!Files.isRegularFile(p)) {
                    throw new IngestUsageException(p + " does not exist or is not a file");
                }
            }
        }
        throw new IngestUsageException("idx:" + where + " names no pair of existing files at any of its commas;"
                + " give idx:IMAGES,LABELS with both files present");
    }

    private static Importer wds(String pattern, Options o) throws IOException {
        int brace = pattern.indexOf('{');
        int slash = (brace < 0 ? pattern : pattern.substring(0, brace)).lastIndexOf('/');
        String root = slash < 0 ? "." : pattern.substring(0, slash + 1);
        String rel = pattern.substring(slash + 1);
        List<String> keys;
        try {
            keys = new ArrayList<>(BracePattern.expand(rel));
        } catch (IllegalArgumentException e) {
            throw new IngestUsageException("wds:" + pattern + ": " + e.getMessage(), e);
        }
        ObjectStore store = Stores.isS3(root) ? Stores.open(root, o.store()) : new FileStore(Path.of(root));
        try {
            return new WebDatasetImporter(store, keys, pattern, o.split()).owning(store);
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
    }
}
