/* The card step of the pay page. Runs on real Stripe.js and on localstripe's stand-in:
 * Card Element -> stripe.createToken -> our server confirms the PaymentIntent ->
 * stripe.confirmCardPayment only when the intent requires action (3-D Secure) ->
 * wait for the order to be paid, then show the order page. No inline script (CSP). */
(function () {
  "use strict";

  var form = document.getElementById("pay-form");
  if (!form) { return; }
  var data = form.dataset;
  var button = document.getElementById("pay-button");
  var errorBox = document.getElementById("card-errors");
  var statusBox = document.getElementById("pay-status");
  var label = button.textContent;
  // The page's words in the shopper's language: a JSON data block the template writes
  // (type application/json, never run, so CSP allows it); English when it is missing.
  var words = {};
  try {
    var block = document.getElementById("pay-words");
    words = block ? JSON.parse(block.textContent) : {};
  } catch (ignored) { words = {}; }
  function w(name, english) { return typeof words[name] === "string" && words[name] ? words[name] : english; }

  function say(text) { statusBox.textContent = text || ""; }
  function fail(text) {
    errorBox.textContent = text;
    say("");
    button.disabled = false;
    button.textContent = label;
    form.removeAttribute("aria-busy");
  }
  function busy(text) {
    errorBox.textContent = "";
    say(text);
    button.disabled = true;
    button.textContent = w("paying", "Paying…");
    form.setAttribute("aria-busy", "true");
  }

  if (typeof window.Stripe !== "function") {
    fail(w("noStripe", "The payment form could not load. Check your connection and reload the page."));
    button.disabled = true;
    return;
  }

  var stripe = window.Stripe(data.publishableKey);
  var card = stripe.elements().create("card", { hidePostalCode: true });
  card.mount("#card-element");
  if (typeof card.on === "function") {
    card.on("change", function (event) {
      errorBox.textContent = event && event.error ? event.error.message : "";
    });
  }
  button.disabled = false;

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": data.csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () {
        return { status: "error", message: w("badAnswer", "The server did not understand the request. Reload the page and try again.") };
      });
    });
  }

  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  async function waitUntilPaid() {
    say(w("accepted", "Payment accepted. Confirming your order…"));
    for (var i = 0; i < 40; i++) {
      try {
        var response = await fetch(data.statusUrl, { credentials: "same-origin", cache: "no-store" });
        var answer = await response.json();
        if (answer.status !== "pending_payment") { break; }
      } catch (ignored) { /* keep waiting */ }
      await sleep(i < 10 ? 500 : 1500);
    }
    window.location.assign(data.orderUrl);
  }

  async function pay(event) {
    event.preventDefault();
    if (button.disabled) { return; }
    busy(w("checking", "Checking the card…"));
    var result;
    try {
      result = await stripe.createToken(card);
    } catch (err) {
      result = { error: { message: w("fillIn", "Please fill in the card number, the expiry date and the CVC.") } };
    }
    if (!result || result.error || !result.token) {
      var message = result && result.error && result.error.message;
      fail(message || w("checkCard", "Please check the card number, the expiry date and the CVC."));
      return;
    }
    say(w("paying", "Paying…"));
    var answer;
    try {
      answer = await postJSON(data.confirmUrl, { token: result.token.id, key: data.key, csrf_token: data.csrf });
    } catch (err) {
      fail(w("network", "We could not reach our server; you were not charged. Please try again."));
      return;
    }
    if (answer.status === "requires_action") {
      say(w("bank", "Your bank asks you to confirm the payment…"));
      var confirmed;
      try {
        confirmed = await stripe.confirmCardPayment(answer.client_secret);
      } catch (err) {
        confirmed = { error: { message: w("authFailed", "The card could not be authenticated. Try again or use another card.") } };
      }
      if (!confirmed || confirmed.error) {
        fail((confirmed && confirmed.error && confirmed.error.message) ||
             w("authFailed", "The card could not be authenticated. Try again or use another card."));
        return;
      }
      var intent = confirmed.paymentIntent || {};
      if (intent.status && intent.status !== "succeeded" && intent.status !== "processing") {
        fail(w("notThrough", "The payment did not go through. Try again or use another card."));
        return;
      }
      await waitUntilPaid();
      return;
    }
    if (answer.status === "succeeded" || answer.status === "processing") {
      await waitUntilPaid();
      return;
    }
    fail((answer.message || w("declined", "The payment did not go through.")) + " " + w("stillOpen", "Your order is still open: try again or use another card."));
  }

  form.addEventListener("submit", pay);
})();
