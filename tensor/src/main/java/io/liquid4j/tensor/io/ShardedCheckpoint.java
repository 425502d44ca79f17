package io.liquid4j.tensor.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.CharacterCodingException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A checkpoint that may be split over several safetensors shards, as Hugging Face saves large
 * models: {@code model.safetensors.index.json} holds a {@code weight_map} from tensor name to
 * shard file, and each shard is an ordinary safetensors file. A single-file checkpoint is
 * handled the same way, so loaders need one code path.
 *
 * <p>With an index, the {@code weight_map} is the authority: {@link #names()} are its keys,
 * every one must exist in the shard it points to (checked on open), and tensors a shard holds
 * beyond those are not exposed. Each shard is opened (mapped) once, however many tensors it
 * holds; {@link #close()} unmaps them all.
 */
public final class ShardedCheckpoint implements AutoCloseable {

    private static final String INDEX_SUFFIX = ".safetensors.index.json";

    private final Path path;
    private final List<SafetensorsFile> shards;
    private final Map<String, SafetensorsFile> fileOf;
    private final Set<String> names;

    private ShardedCheckpoint(Path path, List<SafetensorsFile> shards, Map<String, SafetensorsFile> fileOf) {
        this.path = path;
        this.shards = Collections.unmodifiableList(shards);
        this.fileOf = fileOf;
        this.names = Collections.unmodifiableSet(fileOf.keySet());
    }

    /**
     * Opens a checkpoint from a {@code .safetensors} file, a {@code *.safetensors.index.json}
     * file, or a directory. In a directory the first match wins: {@code
     * model.safetensors.index.json}, {@code model.safetensors}, the only
     * {@code *.safetensors.index.json}, the only {@code *.safetensors}.
     *
     * @throws SafetensorsException if nothing suitable is found, the index is malformed, a
     *                              shard is invalid, or a listed tensor is missing from its shard
     */
    public static ShardedCheckpoint open(Path pathOrDir) {
        Objects.requireNonNull(pathOrDir, "pathOrDir");
        Path target = pathOrDir;
        if (Files.isDirectory(pathOrDir)) {
            target = locateInDirectory(pathOrDir);
        } else if (!Files.exists(pathOrDir)) {
            throw new SafetensorsException(pathOrDir, "no such file or directory");
        }
        String name = target.getFileName().toString();
        return name.endsWith(".index.json") ? openIndex(target) : openSingle(target);
    }

    private static Path locateInDirectory(Path dir) {
        Path index = dir.resolve("model" + INDEX_SUFFIX);
        if (Files.isRegularFile(index)) return index;
        Path single = dir.resolve("model.safetensors");
        if (Files.isRegularFile(single)) return single;

        List<Path> indexes = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!Files.isRegularFile(p)) continue;
                if (n.endsWith(INDEX_SUFFIX)) indexes.add(p);
                else if (n.endsWith(".safetensors")) files.add(p);
            }
        } catch (IOException e) {
            throw new SafetensorsException(dir, "cannot list the directory: " + SafetensorsFile.describe(e), e);
        }
        if (indexes.size() == 1) return indexes.get(0);
        if (indexes.isEmpty() && files.size() == 1) return files.get(0);
        if (indexes.size() > 1) {
            throw new SafetensorsException(dir, "holds several index files " + fileNames(indexes)
                    + " and no model" + INDEX_SUFFIX + "; name the one to open");
        }
        if (files.isEmpty()) {
            throw new SafetensorsException(dir, "holds no model" + INDEX_SUFFIX + " and no .safetensors file");
        }
        throw new SafetensorsException(dir, "holds several .safetensors files " + fileNames(files)
                + " but no index file that says how they fit together; name the one to open");
    }

    private static List<String> fileNames(List<Path> paths) {
        List<String> out = new ArrayList<>();
        for (Path p : paths) out.add(p.getFileName().toString());
        Collections.sort(out);
        return out;
    }

    private static ShardedCheckpoint openSingle(Path file) {
        SafetensorsFile f = SafetensorsFile.open(file);
        Map<String, SafetensorsFile> fileOf = new LinkedHashMap<>();
        for (SafetensorsFile.Entry e : f.entries()) fileOf.put(e.name(), f);
        return new ShardedCheckpoint(file, new ArrayList<>(List.of(f)), fileOf);
    }

    private static ShardedCheckpoint openIndex(Path indexFile) {
        Map<String, Object> index;
        try {
            String text = Files.readString(indexFile);
            index = Json.parseObject(text.startsWith("\uFEFF") ? text.substring(1) : text);
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(indexFile, "is not valid UTF-8", e);
        } catch (IOException e) {
            throw new SafetensorsException(indexFile, "cannot read the index: " + SafetensorsFile.describe(e), e);
        } catch (JsonException e) {
            throw new SafetensorsException(indexFile, "is not a valid JSON object: " + e.getMessage(), e);
        }
        if (!(index.get("weight_map") instanceof Map<?, ?> weightMap)) {
            throw new SafetensorsException(indexFile, index.containsKey("weight_map")
                    ? "weight_map must be an object from tensor name to shard file but is " + Json.typeName(index.get("weight_map"))
                    : "has no weight_map");
        }

        Map<String, SafetensorsFile> byShardName = new LinkedHashMap<>();
        List<SafetensorsFile> shards = new ArrayList<>();
        Map<String, SafetensorsFile> fileOf = new LinkedHashMap<>();
        try {
            for (Map.Entry<?, ?> kv : weightMap.entrySet()) {
                String tensor = (String) kv.getKey();
                if (!(kv.getValue() instanceof String shardName)) {
                    throw new SafetensorsException(indexFile, "weight_map entry " + SafetensorsFile.quote(tensor)
                            + " must name a shard file but is " + Json.typeName(kv.getValue()));
                }
                SafetensorsFile shard = byShardName.get(shardName);
                if (shard == null) {
                    shard = SafetensorsFile.open(resolveShard(indexFile, tensor, shardName));
                    byShardName.put(shardName, shard);
                    shards.add(shard);
                }
                if (shard.get(tensor) == null) {
                    throw new SafetensorsException(indexFile, "weight_map puts tensor " + SafetensorsFile.quote(tensor)
                            + " in shard " + SafetensorsFile.quote(shardName) + " but that shard has no such tensor");
                }
                fileOf.put(tensor, shard);
            }
        } catch (RuntimeException | Error e) {
            // Unmap what was opened before the failure.
            for (SafetensorsFile f : shards) f.close();
            throw e;
        }
        return new ShardedCheckpoint(indexFile, shards, fileOf);
    }

    /**
     * Resolves a shard name against the index's directory. Names must stay inside that
     * directory: an index is data, and must not make us map arbitrary files such as
     * "../../etc/shadow" or an absolute path. Symbolic links are not followed for this check
     * (the Hugging Face cache links every shard to a blob elsewhere).
     */
    private static Path resolveShard(Path indexFile, String tensor, String shardName) {
        Path base = indexFile.getParent();
        Path shard;
        try {
            shard = base == null ? Path.of(shardName) : base.resolve(shardName);
        } catch (RuntimeException invalidPath) {
            throw new SafetensorsException(indexFile, "weight_map entry " + SafetensorsFile.quote(tensor)
                    + " names an invalid shard path " + SafetensorsFile.quote(shardName));
        }
        Path dir = indexFile.toAbsolutePath().normalize().getParent();
        Path absolute = shard.toAbsolutePath().normalize();
        if (shardName.isEmpty() || !absolute.startsWith(dir) || absolute.equals(dir)) {
            throw new SafetensorsException(indexFile, "weight_map entry " + SafetensorsFile.quote(tensor) + " names shard "
                    + SafetensorsFile.quote(shardName) + ", which is not a file inside the index's directory");
        }
        if (!Files.exists(shard)) {
            throw new SafetensorsException(indexFile, "shard " + SafetensorsFile.quote(shardName) + " (holding tensor "
                    + SafetensorsFile.quote(tensor) + ") does not exist");
        }
        return shard;
    }

    /** The index file, or the single safetensors file, that was opened. */
    public Path path() {
        return path;
    }

    /** Names of all tensors, in index (or header) order. */
    public Set<String> names() {
        return names;
    }

    /** True if the checkpoint holds a tensor of this name. */
    public boolean contains(String name) {
        return fileOf.containsKey(name);
    }

    /** The header entry of a tensor, or null if there is none of that name. */
    public SafetensorsFile.Entry entry(String name) {
        SafetensorsFile f = fileOf.get(name);
        return f == null ? null : f.get(name);
    }

    /**
     * The bytes of a tensor, a zero-copy slice of its shard's mapping (see
     * {@link SafetensorsFile#data(SafetensorsFile.Entry)}).
     *
     * @throws SafetensorsException if there is no tensor of that name
     */
    public MemorySegment data(String name) {
        return fileOf(name).data(name);
    }

    /**
     * The shard holding a tensor.
     *
     * @throws SafetensorsException if there is no tensor of that name
     */
    public SafetensorsFile fileOf(String name) {
        SafetensorsFile f = fileOf.get(name);
        if (f == null) {
            throw new SafetensorsException(path, "no tensor named " + SafetensorsFile.quote(name));
        }
        return f;
    }

    /** The opened shards in the order they were first referenced. */
    public List<SafetensorsFile> shards() {
        return shards;
    }

    /** Closes (unmaps) every shard. Idempotent. */
    @Override
    public void close() {
        for (SafetensorsFile f : shards) f.close();
    }

    @Override
    public String toString() {
        return "ShardedCheckpoint[" + path + ", " + names.size() + " tensors in " + shards.size() + " shard(s)]";
    }
}
