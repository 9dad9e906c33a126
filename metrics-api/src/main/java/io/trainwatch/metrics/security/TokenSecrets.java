package io.trainwatch.metrics.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Token secrets: 256 random bits, stored only as their SHA-256. A slow password hash (bcrypt, argon2) exists to make
 * guessing low-entropy passwords expensive; a 256-bit random secret cannot be guessed, so one fast hash is as safe
 * and keeps every request's check in microseconds.
 */
public final class TokenSecrets {

    /** Makes the secret recognisable in logs and secret scanners. */
    public static final String PREFIX = "tw_";

    private static final SecureRandom RANDOM = new SecureRandom();

    private TokenSecrets() {
    }

    public static String newSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Lower-case hex SHA-256 of the secret's UTF-8 bytes, as stored in api_tokens.secret_hash. */
    public static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
