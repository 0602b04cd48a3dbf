using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Mediator.Didcomm.Messages;

/// <summary>
/// A DIDComm v1 message type URI, <c>&lt;doc-uri&gt;/&lt;protocol&gt;/&lt;major&gt;.&lt;minor&gt;/&lt;name&gt;</c> (Aries RFC 0003),
/// e.g. <c>https://didcomm.org/trust_ping/1.0/ping</c> or the legacy
/// <c>did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/trust_ping/1.0/ping</c>.
/// </summary>
public sealed partial record MessageType
{
    /// <summary>The current document URI prefix.</summary>
    public const string DidcommOrg = "https://didcomm.org";

    /// <summary>The legacy document URI prefix, still sent by older agents (Credo accepts it on input).</summary>
    public const string LegacyDidSovPrefix = "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec";

    private MessageType(string documentUri, string protocolName, int major, int minor, string messageName, string uri)
    {
        DocumentUri = documentUri;
        ProtocolName = protocolName;
        MajorVersion = major;
        MinorVersion = minor;
        MessageName = messageName;
        Uri = uri;
    }

    /// <summary>E.g. <c>https://didcomm.org</c> or <c>did:sov:BzCbsNYhMrjHiqZDTUASHg;spec</c>.</summary>
    public string DocumentUri { get; }

    /// <summary>E.g. <c>trust_ping</c>.</summary>
    public string ProtocolName { get; }

    public int MajorVersion { get; }

    public int MinorVersion { get; }

    /// <summary>E.g. <c>ping</c>.</summary>
    public string MessageName { get; }

    /// <summary>The type URI as given.</summary>
    public string Uri { get; }

    /// <summary>E.g. <c>1.0</c>.</summary>
    public string ProtocolVersion => string.Create(CultureInfo.InvariantCulture, $"{MajorVersion}.{MinorVersion}");

    /// <summary>E.g. <c>https://didcomm.org/trust_ping/1.0</c> (what Discover Features discloses).</summary>
    public string ProtocolUri => $"{DocumentUri}/{ProtocolName}/{ProtocolVersion}";

    /// <summary>True when the type uses the legacy <c>did:sov:...;spec</c> prefix.</summary>
    public bool IsLegacyPrefix => DocumentUri == LegacyDidSovPrefix;

    /// <summary>The same type with the legacy prefix replaced by <c>https://didcomm.org</c>.</summary>
    public MessageType Normalized() => IsLegacyPrefix
        ? new MessageType(DidcommOrg, ProtocolName, MajorVersion, MinorVersion, MessageName,
            $"{DidcommOrg}/{ProtocolName}/{ProtocolVersion}/{MessageName}")
        : this;

    /// <summary>This type written with the legacy <c>did:sov:...;spec</c> prefix (for peers that still need it).</summary>
    public MessageType WithLegacyPrefix() => DocumentUri == DidcommOrg
        ? new MessageType(LegacyDidSovPrefix, ProtocolName, MajorVersion, MinorVersion, MessageName,
            $"{LegacyDidSovPrefix}/{ProtocolName}/{ProtocolVersion}/{MessageName}")
        : this;

    /// <summary>The same protocol and version with another message name.</summary>
    public MessageType WithMessageName(string messageName) =>
        Parse($"{DocumentUri}/{ProtocolName}/{ProtocolVersion}/{messageName}");

    /// <summary>
    /// True when a message of type <paramref name="incoming"/> can be handled by a handler for this type: same document
    /// URI (the legacy prefix counts as <c>https://didcomm.org</c>), protocol, major version and message name. The minor
    /// version may differ either way (RFC 0003: a recipient processes a message of another minor version of a protocol
    /// it supports, and answers with the minor version it implements).
    /// </summary>
    public bool Accepts(MessageType incoming)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        var a = Normalized();
        var b = incoming.Normalized();
        return a.DocumentUri == b.DocumentUri
            && a.ProtocolName == b.ProtocolName
            && a.MajorVersion == b.MajorVersion
            && a.MessageName == b.MessageName;
    }

    /// <summary>Parses a message type URI.</summary>
    /// <exception cref="MalformedMessageException">When <paramref name="uri"/> is not a message type URI.</exception>
    public static MessageType Parse(string uri) =>
        TryParse(uri, out var type, out var reason)
            ? type
            : throw new MalformedMessageException(reason, "@type");

    /// <summary>Parses a message type URI; false (and a reason) when it is not one.</summary>
    public static bool TryParse(string? uri, [NotNullWhen(true)] out MessageType? type) => TryParse(uri, out type, out _);

    private static bool TryParse(string? uri, [NotNullWhen(true)] out MessageType? type, out string reason)
    {
        type = null;
        if (string.IsNullOrEmpty(uri))
        {
            reason = "Message type is empty.";
            return false;
        }

        if (uri.Length > 512)
        {
            reason = "Message type is longer than 512 characters.";
            return false;
        }

        var m = TypeRegex().Match(uri);
        if (!m.Success)
        {
            reason = $"'{uri}' is not a message type URI of the form <doc-uri>/<protocol>/<major>.<minor>/<name>.";
            return false;
        }

        if (!int.TryParse(m.Groups["major"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            || !int.TryParse(m.Groups["minor"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
        {
            reason = $"'{uri}' has a version number out of range.";
            return false;
        }

        type = new MessageType(m.Groups["doc"].Value, m.Groups["protocol"].Value, major, minor, m.Groups["name"].Value, uri);
        reason = string.Empty;
        return true;
    }

    public override string ToString() => Uri;

    // <doc-uri>/<protocol>/<major>.<minor>/<name>; doc-uri is anything up to the protocol segment (it contains '/' for
    // https URIs and ';' for the legacy did:sov form).
    [GeneratedRegex(@"^(?<doc>\S+?)/(?<protocol>[A-Za-z0-9._-]+)/(?<major>\d{1,9})\.(?<minor>\d{1,9})/(?<name>[A-Za-z0-9._-]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex TypeRegex();
}

/// <summary>A protocol identifier without message name, <c>&lt;doc-uri&gt;/&lt;protocol&gt;/&lt;major&gt;.&lt;minor&gt;</c>.</summary>
public sealed partial record ProtocolUri(string DocumentUri, string ProtocolName, int MajorVersion, int MinorVersion)
{
    public string ProtocolVersion => string.Create(CultureInfo.InvariantCulture, $"{MajorVersion}.{MinorVersion}");

    public string Uri => $"{DocumentUri}/{ProtocolName}/{ProtocolVersion}";

    /// <summary>Parses e.g. <c>https://didcomm.org/didexchange/1.1</c> (handshake_protocols of an invitation).</summary>
    public static bool TryParse(string? uri, [NotNullWhen(true)] out ProtocolUri? protocol)
    {
        protocol = null;
        if (string.IsNullOrEmpty(uri) || uri.Length > 512)
        {
            return false;
        }

        var m = ProtocolRegex().Match(uri);
        if (!m.Success
            || !int.TryParse(m.Groups["major"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            || !int.TryParse(m.Groups["minor"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
        {
            return false;
        }

        protocol = new ProtocolUri(m.Groups["doc"].Value, m.Groups["protocol"].Value, major, minor);
        return true;
    }

    /// <summary>True when <paramref name="incoming"/> names this protocol with the same major version (legacy prefix tolerated).</summary>
    public bool Accepts(ProtocolUri incoming)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        static string Doc(string d) => d == MessageType.LegacyDidSovPrefix ? MessageType.DidcommOrg : d;
        return Doc(DocumentUri) == Doc(incoming.DocumentUri)
            && ProtocolName == incoming.ProtocolName
            && MajorVersion == incoming.MajorVersion;
    }

    public override string ToString() => Uri;

    [GeneratedRegex(@"^(?<doc>\S+?)/(?<protocol>[A-Za-z0-9._-]+)/(?<major>\d{1,9})\.(?<minor>\d{1,9})$", RegexOptions.CultureInvariant)]
    private static partial Regex ProtocolRegex();
}
