using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Html;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Mvc.Rendering;
using Microsoft.AspNetCore.Mvc.Routing;
using Microsoft.AspNetCore.Mvc.ViewFeatures;
using Microsoft.Extensions.Options;

namespace Catalyst.Host;

/// <summary>
/// MVC's HTML, minus its one inline style: an empty validation summary holds <c>&lt;li style="display:none"&gt;</c>, which the
/// Content-Security-Policy (style-src 'self') refuses; <c>hidden</c> says the same without a style attribute.
/// </summary>
public sealed class CatalystHtmlGenerator(
    IAntiforgery antiforgery, IOptions<MvcViewOptions> options, IModelMetadataProvider metadataProvider, IUrlHelperFactory urlHelperFactory,
    HtmlEncoder htmlEncoder, ValidationHtmlAttributeProvider validationAttributeProvider)
    : DefaultHtmlGenerator(antiforgery, options, metadataProvider, urlHelperFactory, htmlEncoder, validationAttributeProvider)
{
    private const string HiddenItem = "<li style=\"display:none\"></li>";

    public override TagBuilder? GenerateValidationSummary(ViewContext viewContext, bool excludePropertyErrors, string? message, string? headerTag,
        object? htmlAttributes)
    {
        var tag = base.GenerateValidationSummary(viewContext, excludePropertyErrors, message, headerTag, htmlAttributes);
        if (tag is null) return null;
        using var writer = new StringWriter();
        tag.InnerHtml.WriteTo(writer, HtmlEncoder.Default);
        var html = writer.ToString();
        if (html.Contains(HiddenItem, StringComparison.Ordinal)) tag.InnerHtml.SetHtmlContent(html.Replace(HiddenItem, "<li hidden></li>"));
        return tag;
    }
}
