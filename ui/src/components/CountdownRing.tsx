/** A ring that empties over one period; the number inside is the seconds left. */
export function CountdownRing({ secondsLeft, period }: { secondsLeft: number; period: number }) {
  const radius = 15;
  const circumference = 2 * Math.PI * radius;
  const fraction = period > 0 ? Math.min(1, Math.max(0, secondsLeft / period)) : 0;
  const urgent = secondsLeft <= 5;
  return (
    <svg
      class={urgent ? "ring ring--urgent" : "ring"}
      viewBox="0 0 36 36"
      width="36"
      height="36"
      role="img"
      aria-label={`${secondsLeft} seconds left`}
    >
      <circle class="ring__track" cx="18" cy="18" r={radius} />
      <circle
        class="ring__fill"
        cx="18"
        cy="18"
        r={radius}
        stroke-dasharray={circumference}
        stroke-dashoffset={circumference * (1 - fraction)}
        transform="rotate(-90 18 18)"
      />
      <text x="18" y="18" dy="0.35em" text-anchor="middle" class="ring__text">
        {secondsLeft}
      </text>
    </svg>
  );
}
