// Clicking a turn's time plays the recording from that moment.
document.addEventListener("click", (e) => {
  const at = e.target.closest(".turn .at");
  const audio = document.getElementById("recording");
  if (!at || !audio) return;
  audio.currentTime = parseFloat(at.dataset.seconds || "0");
  audio.play();
});
