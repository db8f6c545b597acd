export default function HomePage() {
  return <main>koko</main>;
}
