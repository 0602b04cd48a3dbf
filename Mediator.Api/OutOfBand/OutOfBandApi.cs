using Mediator.Api.OutOfBand;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

public static class OutOfBandApi
{
    /// <summary><c>GET /invitation</c>: JSON <c>{"url", "invitation"}</c>; <c>?format=url</c>: the URL as text/plain; <c>?format=json</c>: the JSON.</summary>
    public static IEndpointRouteBuilder MapOutOfBandApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/invitation", GetInvitation).WithName("GetInvitation");
        return app;
    }

    public static Results<Ok<InvitationResponse>, ContentHttpResult, BadRequest<string>> GetInvitation(MediatorInvitation invitation, string? format = null) =>
        format switch
        {
            null or "" or "json" => TypedResults.Ok(new InvitationResponse(invitation.GetUrl(), invitation.GetInvitation())),
            "url" => TypedResults.Text(invitation.GetUrl(), "text/plain; charset=utf-8"),
            _ => TypedResults.BadRequest($"Unknown format '{format}'; use 'json' (default) or 'url'."),
        };
}

/// <summary>The <c>GET /invitation</c> body.</summary>
public sealed record InvitationResponse(
    [property: System.Text.Json.Serialization.JsonPropertyName("url")] string Url,
    [property: System.Text.Json.Serialization.JsonPropertyName("invitation")] System.Text.Json.Nodes.JsonObject Invitation);

/// <summary>Serialisation of the <c>GET /invitation</c> results, generated at compile time.</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(InvitationResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class OutOfBandJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
