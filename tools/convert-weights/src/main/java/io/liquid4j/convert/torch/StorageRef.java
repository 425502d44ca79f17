package io.liquid4j.convert.torch;

/** One storage of a zip checkpoint: the entry data/&lt;key&gt; holding numel elements of type. */
public record StorageRef(String key, StorageType type, long numel) {}
