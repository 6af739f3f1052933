package io.keelfs.cli;

/**
 * A command could not do its job for a reason the user can act on (a file in the way, an image
 * too small, not a keelfs image). {@link KeelfsCommand} prints the message as one line,
 * prefixed with the command's name, with no stack trace, and exits 1. Bugs stay ordinary
 * exceptions.
 *
 * <p>Thread-safety: immutable.
 */
final class CommandFailure extends Exception {
    CommandFailure(String message) {
        super(message);
    }

    CommandFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
