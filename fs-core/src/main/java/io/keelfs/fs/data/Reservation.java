package io.keelfs.fs.data;

/**
 * Space reserved in an open bucket for one prepared write: {@code lengthBytes} at
 * {@code offsetInBucketBytes}, holding one pin on the bucket until it is given back.
 */
record Reservation(DataBucket bucket, long offsetInBucketBytes, long lengthBytes) {}
