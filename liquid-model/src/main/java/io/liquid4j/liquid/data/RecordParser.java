package io.liquid4j.liquid.data;

import io.liquid4j.liquid.TrainingSequence.Task;
import io.liquid4j.tensor.io.Json;
import io.liquid4j.tensor.io.JsonException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Reads one JSONL line as a {@link DataRecord}; anything malformed is a {@link BadRecordException} naming what is wrong. */
public final class RecordParser {
    private RecordParser() {}

    /** The record on this (non-blank) line. */
    public static DataRecord parse(String line) throws BadRecordException {
        Map<String, Object> json;
        try {
            json = Json.parseObject(line);
        } catch (JsonException e) {
            throw new BadRecordException("not a JSON object: " + e.getMessage());
        }
        if (json.containsKey("input_ids")) return built(json);
        if (json.containsKey("codes")) return new DataRecord.Pair(string(json, "caption"), ints(json, "codes"));
        if (json.containsKey("image")) return new DataRecord.Image(string(json, "caption"), string(json, "image"));
        if (json.containsKey("text")) return new DataRecord.Text(string(json, "text"));
        throw new BadRecordException("no \"text\", \"codes\", \"image\" or \"input_ids\" key: expected {\"text\": ...}, "
                + "{\"caption\": ..., \"codes\": [...]}, {\"caption\": ..., \"image\": ...} or {\"input_ids\": [...], \"labels\": [...]}");
    }

    private static DataRecord built(Map<String, Object> json) throws BadRecordException {
        int[] ids = ints(json, "input_ids"), labels = ints(json, "labels");
        if (ids.length == 0) throw new BadRecordException("\"input_ids\" is empty");
        if (labels.length != ids.length) {
            throw new BadRecordException("\"labels\" has " + labels.length + " entries but \"input_ids\" " + ids.length);
        }
        for (int id : ids) if (id < 0) throw new BadRecordException("\"input_ids\" holds a negative id " + id);
        Task task = Task.TEXT;
        if (json.containsKey("task")) {
            String name = string(json, "task");
            task = switch (name) {
                case "t2i" -> Task.T2I;
                case "caption" -> Task.CAPTION;
                case "text" -> Task.TEXT;
                default -> throw new BadRecordException("\"task\" must be \"t2i\", \"caption\" or \"text\", got \"" + name + "\"");
            };
        }
        return new DataRecord.Built(ids, labels, task);
    }

    /** The JSON name of a task, as {@code "task"} values spell it. */
    public static String taskName(Task task) {
        return task.name().toLowerCase(Locale.ROOT);
    }

    private static String string(Map<String, Object> json, String key) throws BadRecordException {
        Object v = json.get(key);
        if (v == null) throw new BadRecordException("missing key \"" + key + "\"");
        if (!(v instanceof String s)) throw new BadRecordException("\"" + key + "\" must be a string, got " + Json.typeName(v));
        return s;
    }

    private static int[] ints(Map<String, Object> json, String key) throws BadRecordException {
        Object v = json.get(key);
        if (v == null) throw new BadRecordException("missing key \"" + key + "\"");
        if (!(v instanceof List<?> list)) throw new BadRecordException("\"" + key + "\" must be a list of integers, got " + Json.typeName(v));
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long l) || l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
                throw new BadRecordException("\"" + key + "\"[" + i + "] must be an integer, got " + Json.typeName(list.get(i)) + " " + list.get(i));
            }
            out[i] = (int) (long) l;
        }
        return out;
    }
}
