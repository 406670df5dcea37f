/* tiein's GraphiQL page: renders GraphiQL (loaded before this file, with React and ReactDOM)
   into #graphiql, posting to the URL in its data-endpoint attribute.

   The bearer token goes in the Headers pane, which starts open and holds the hint
   {"Authorization": "Bearer <token>"}. While the header still reads exactly that hint it is
   left out of the request (the server would refuse it as a bad token, 401), so the public
   catalogue answers until a real token is pasted. Headers are not persisted: a token is not
   written to the browser's localStorage. */
(function () {
  "use strict";

  var HINT = "Bearer <token>";
  var root = document.getElementById("graphiql");

  // GraphiQL's dialogs add a <style> element (to hide the page's scroll bar) with the nonce
  // in __webpack_nonce__; the page's policy admits inline style only with this script's nonce.
  var nonce = document.currentScript && document.currentScript.nonce;
  if (nonce) {
    window.__webpack_nonce__ = nonce;
  }

  function fetchWithoutHint(url, init) {
    var options = Object.assign({}, init);
    var headers = new Headers(options.headers);
    if ((headers.get("Authorization") || "").trim() === HINT) {
      headers.delete("Authorization");
    }
    options.headers = headers;
    return window.fetch(url, options);
  }

  var defaultQuery = [
    "# tiein's GraphQL API. Without a token you",
    "# see the public catalogue. To act as a",
    "# merchant or as staff, put your API token",
    "# in the Headers pane below, for <token>:",
    '#   {"Authorization": "Bearer <token>"}',
    "# Run with the \u25B6 button or Ctrl-Enter.",
    "",
    "{",
    "  viewer { kind }",
    "  films(first: 5) { nodes { title status } }",
    "}",
    ""
  ].join("\n");

  var fetcher = GraphiQL.createFetcher({
    url: root.getAttribute("data-endpoint"),
    fetch: fetchWithoutHint
  });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      isHeadersEditorEnabled: true,
      defaultHeaders: JSON.stringify({ Authorization: HINT }, null, 2),
      defaultEditorToolsVisibility: "headers",
      shouldPersistHeaders: false
    })
  );
})();
