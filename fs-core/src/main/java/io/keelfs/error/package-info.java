/**
 * The error hierarchy: every expected failure is a {@link io.keelfs.error.KeelException}, a
 * checked, sealed exception type carrying an {@link io.keelfs.error.Errno} and the place
 * (device offset, btree, position, journal sequence) it happened. Callers must handle them;
 * unchecked exceptions are reserved for bugs and caller mistakes (STYLE.md section 3).
 *
 * <p>May call: the JDK. Must not call: any other keelfs package. Threading: immutable.
 */
package io.keelfs.error;
