package io.keelfs.error;

/**
 * A btree key's value does not decode: an unknown version, a truncated or overlong field, a
 * value out of range. The message names the btree, position and what is wrong; fsck repairs or
 * drops the key.
 */
public final class KeyCorruptException extends CorruptException {
    public KeyCorruptException(String message) {
        super(message, -1);
    }
}
