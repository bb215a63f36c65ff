package dev.sluice.data.store;

/** Key and size of a stored object. */
public record ObjectInfo(String key, long size) {}
