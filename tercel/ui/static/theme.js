// Apply the saved theme before the first paint (no flash of the wrong colours).
const savedTheme = localStorage.getItem("tercel.theme");
if (savedTheme) document.documentElement.dataset.theme = savedTheme;
