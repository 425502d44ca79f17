package io.liquid4j.liquid.data;

/** A JSONL line that cannot be read as a record (malformed JSON, a wrong type, a missing key): reported and skipped. */
public final class BadRecordException extends Exception {
    public BadRecordException(String reason) {
        super(reason, null, false, false);
    }
}
