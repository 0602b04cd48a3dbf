using Microsoft.Extensions.Options;
using System.ComponentModel.DataAnnotations;

namespace Mediator.Api.State;

/// <summary>
/// Options of the mediator's persistent state, bound from <c>Mediator:State</c>. The key seed is a secret and may also
/// be given as <c>Mediator:KeySeed</c> (that key wins when both are set).
/// </summary>
public sealed class MediatorStateOptions : IValidatableObject
{
    public const string SectionName = "Mediator:State";

    /// <summary>The configuration key of the mediator's key seed (a secret).</summary>
    public const string KeySeedKey = "Mediator:KeySeed";

    /// <summary>
    /// The mediator's Ed25519 key seed, 32 bytes as base64 (44 characters with '=' padding), base58 or hex (64
    /// characters), or a passphrase of at least 32 characters (hashed to the seed; see <see cref="MediatorKeySeed"/>).
    /// When absent, a seed is generated once and stored in the database, so all replicas share it.
    /// </summary>
    public string? KeySeed { get; set; }

    /// <summary>The keylist size limit: the most recipient keys one connection may register.</summary>
    [Range(1, 1_000_000)]
    public int MaxKeysPerConnection { get; set; } = 1_000;

    /// <summary>The most keys one keylist-query page returns (a larger requested limit is clamped to it).</summary>
    [Range(1, 10_000)]
    public int MaxKeylistPageSize { get; set; } = 500;

    /// <summary>How long a found key -> connection entry is served from the cache without a change notification.
    /// Invalidation by NOTIFY is what keeps it right; this bounds the damage of anything unforeseen.</summary>
    public TimeSpan KeylistCachePositiveTtl { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long "no such key" is remembered (briefly: a wallet registers a key, then a sender forwards to it).</summary>
    public TimeSpan KeylistCacheNegativeTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The most entries the keylist cache holds; beyond it, expired and then arbitrary entries are evicted.</summary>
    [Range(16, 100_000_000)]
    public int KeylistCacheMaxEntries { get; set; } = 200_000;

    /// <summary>
    /// How long an inbound envelope's per-connection recipient key is resolved to its (completed) connection from memory
    /// instead of the database (<c>MediatorKeyRing.FindAsync</c>); zero turns the cache off. A connection's keys never
    /// change; its deletion or abandonment on this replica drops the entry at once, on another replica within this time.
    /// </summary>
    public TimeSpan ConnectionCacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most connections that cache holds; beyond it, expired and then arbitrary entries are evicted.</summary>
    [Range(16, 10_000_000)]
    public int ConnectionCacheMaxEntries { get; set; } = 100_000;

    /// <summary>First delay before the keylist listener reconnects; it doubles per failed attempt (with jitter).</summary>
    public TimeSpan ListenerReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Upper bound of the listener's reconnect delay.</summary>
    public TimeSpan ListenerReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often an idle listener connection is probed (a half-open TCP connection is otherwise unnoticed).</summary>
    public TimeSpan ListenerKeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(KeySeed) && !MediatorKeySeed.TryParse(KeySeed, out _, out var error))
        {
            // Never echo the secret itself.
            yield return new ValidationResult($"{KeySeedKey} is not a valid key seed: {error}", [nameof(KeySeed)]);
        }
        foreach (var (name, value) in new[]
                 {
                     (nameof(KeylistCachePositiveTtl), KeylistCachePositiveTtl),
                     (nameof(ConnectionCacheTtl), ConnectionCacheTtl),
                     (nameof(KeylistCacheNegativeTtl), KeylistCacheNegativeTtl),
                     (nameof(ListenerReconnectMinDelay), ListenerReconnectMinDelay),
                     (nameof(ListenerReconnectMaxDelay), ListenerReconnectMaxDelay),
                     (nameof(ListenerKeepAliveInterval), ListenerKeepAliveInterval),
                 })
        {
            if (value < TimeSpan.Zero || value > TimeSpan.FromDays(1))
                yield return new ValidationResult($"{SectionName}:{name} must be between 0 and 1 day (was {value}).", [name]);
        }
        if (ListenerReconnectMaxDelay < ListenerReconnectMinDelay)
        {
            yield return new ValidationResult(
                $"{SectionName}:{nameof(ListenerReconnectMaxDelay)} must not be below {nameof(ListenerReconnectMinDelay)}.",
                [nameof(ListenerReconnectMaxDelay)]);
        }
        if (ListenerKeepAliveInterval < TimeSpan.FromSeconds(1))
        {
            yield return new ValidationResult(
                $"{SectionName}:{nameof(ListenerKeepAliveInterval)} must be at least 1 second.", [nameof(ListenerKeepAliveInterval)]);
        }
    }
}

/// <summary>The data annotations (and <c>IValidatableObject</c> rules) of <see cref="MediatorStateOptions"/>, checked by code generated
/// at compile time instead of reflection (the replica is published as native AOT).</summary>
[OptionsValidator]
internal sealed partial class MediatorStateOptionsValidator : IValidateOptions<MediatorStateOptions>;
