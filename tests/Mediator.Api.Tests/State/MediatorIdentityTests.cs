using Mediator.Api.State;
using Microsoft.Extensions.Options;
using Npgsql;
using PickupAspire.TestSupport;
using SimpleBase;

namespace Mediator.Api.Tests.State;

public class MediatorIdentityTests
{
    // RFC 8032, section 7.1, test 1: secret key (seed) and public key.
    private const string Rfc8032SeedHex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    private const string Rfc8032PublicHex = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    private static string Rfc8032Verkey => Base58.Bitcoin.Encode(Convert.FromHexString(Rfc8032PublicHex));

    [Fact]
    public async Task Three_replicas_started_together_generate_one_key_and_all_use_it()
    {
        var server = await PostgresServer.GetSharedAsync();
        var connectionString = await server.CreateDatabaseAsync("identity");

        var replicas = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => StateReplica.StartAsync(connectionString)));
        string verkey;
        try
        {
            var identities = replicas.Select(r => r.Identity.Current).ToArray();
            Assert.All(identities, i => Assert.Equal(MediatorKeySource.Stored, i.Source));
            Assert.Single(identities.Select(i => i.Verkey).Distinct());
            Assert.Single(identities.Select(i => Convert.ToHexString(i.KeySeed)).Distinct());

            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*), min(verkey), min(did) FROM mediator.identity", connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            Assert.Equal(1L, reader.GetInt64(0));
            Assert.Equal(identities[0].Verkey, reader.GetString(1));
            Assert.Equal(identities[0].Did, reader.GetString(2));

            // The verkey really is the seed's public key, and the did its did:key.
            Assert.Equal(Ed25519MediatorKeys.Derive(identities[0].KeySeed).Verkey, identities[0].Verkey);
            Assert.Equal(RecipientKeys.ToDidKey(identities[0].Verkey), identities[0].Did);
            Assert.StartsWith("did:key:z6Mk", identities[0].Did);
            verkey = identities[0].Verkey;
        }
        finally
        {
            foreach (var replica in replicas) await replica.DisposeAsync();
        }

        // A replica started later loads the same key.
        await using var later = await StateReplica.StartAsync(connectionString);
        Assert.Equal(verkey, later.Identity.Current.Verkey);
    }

    [Theory]
    [InlineData("hex")]
    [InlineData("base64")]
    [InlineData("base58")]
    public async Task A_configured_seed_wins_over_the_stored_key_and_is_not_stored(string encoding)
    {
        var (generated, connectionString) = await StateReplica.StartOnNewDatabaseAsync();
        var storedVerkey = generated.Identity.Current.Verkey;
        await generated.DisposeAsync();

        var seed = Convert.FromHexString(Rfc8032SeedHex);
        var text = encoding switch
        {
            "hex" => Rfc8032SeedHex,
            "base64" => Convert.ToBase64String(seed),
            _ => Base58.Bitcoin.Encode(seed),
        };
        await using var configured = await StateReplica.StartAsync(connectionString,
            new Dictionary<string, string?> { [MediatorStateOptions.KeySeedKey] = text });

        var identity = configured.Identity.Current;
        Assert.Equal(MediatorKeySource.Configured, identity.Source);
        Assert.Equal(Rfc8032Verkey, identity.Verkey);
        Assert.NotEqual(storedVerkey, identity.Verkey);
        Assert.Equal(Rfc8032SeedHex, Convert.ToHexString(identity.KeySeed), ignoreCase: true);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT verkey FROM mediator.identity", connection);
        Assert.Equal(storedVerkey, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task The_seed_may_also_be_given_under_Mediator_State()
    {
        await using var replica = (await StateReplica.StartOnNewDatabaseAsync(
            new Dictionary<string, string?> { ["Mediator:State:KeySeed"] = Rfc8032SeedHex })).Replica;
        Assert.Equal(Rfc8032Verkey, replica.Identity.Current.Verkey);
    }

    [Theory]
    [InlineData("too-short")]
    [InlineData("AAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")] // base64 of 31 bytes
    [InlineData("0OIl")] // not base58
    public async Task A_malformed_configured_seed_stops_the_start_with_a_clear_error(string seed)
    {
        var server = await PostgresServer.GetSharedAsync();
        var connectionString = await server.CreateDatabaseAsync("identity");
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            StateReplica.StartAsync(connectionString, new Dictionary<string, string?> { [MediatorStateOptions.KeySeedKey] = seed }));
        Assert.Contains(MediatorStateOptions.KeySeedKey, error.Message);
        Assert.DoesNotContain(seed, error.Message.Replace(MediatorStateOptions.KeySeedKey, "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_generated_passphrase_secret_gives_every_replica_the_same_key()
    {
        // The AppHost's generated parameter: 48 letters and digits.
        const string secret = "p9XcQ2vR7kLmN4tY8wZ3bH6jF1sD5gA0eU2iO9uK7yT4rE3q";
        var server = await PostgresServer.GetSharedAsync();
        var connectionString = await server.CreateDatabaseAsync("identity");
        var settings = new Dictionary<string, string?> { [MediatorStateOptions.KeySeedKey] = secret };
        await using var first = await StateReplica.StartAsync(connectionString, settings);
        await using var second = await StateReplica.StartAsync(connectionString, settings);

        Assert.Equal(MediatorKeySource.Configured, first.Identity.Current.Source);
        Assert.Equal(first.Identity.Current.Verkey, second.Identity.Current.Verkey);
        var expectedSeed = System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes("PickupAspire mediator key seed:" + secret));
        Assert.Equal(expectedSeed, first.Identity.Current.KeySeed.ToArray());
        Assert.True(MediatorKeySeed.TryParse(secret, out _, out var form, out _));
        Assert.Equal("passphrase", form);
    }

    [Fact]
    public void Seed_formats_parse_to_the_same_bytes()
    {
        var seed = Convert.FromHexString(Rfc8032SeedHex);
        foreach (var text in new[] { Rfc8032SeedHex, Rfc8032SeedHex.ToUpperInvariant(), Convert.ToBase64String(seed), Base58.Bitcoin.Encode(seed) })
        {
            Assert.True(MediatorKeySeed.TryParse(text, out var parsed, out var error), $"{text}: {error}");
            Assert.Equal(seed, parsed);
        }
        Assert.False(MediatorKeySeed.TryParse(Base58.Bitcoin.Encode(seed[..16]), out _, out var shortError));
        Assert.Contains("32 bytes", shortError);
        Assert.Contains("passphrase of at least 32 characters", shortError);
        Assert.False(MediatorKeySeed.TryParse(Convert.ToBase64String(seed[..31]), out _, out var base64Error));
        Assert.Contains("base64", base64Error);
    }
}
